import { describe, expect, it } from 'vitest';
import { blocksToRemove, decodeBound, largestJump, parseVariants, speedups, variantPlan, type SpeedFigures } from '../../bench/speed-plan';

const stat = (median: number) => ({ median, min: median, max: median });

describe('browser speed bench plan', () => {
  it('removes round(share·N) blocks, never the first or the last', () => {
    expect(blocksToRemove(30, 0.2)).toEqual([23, 24, 25, 26, 27, 28]);
    expect(blocksToRemove(30, 0.4)).toHaveLength(12);
    expect(blocksToRemove(5, 0.2)).toEqual([3]);
    expect(blocksToRemove(5, 0.4)).toEqual([2, 3]);
    for (const n of [3, 5, 16, 24, 28, 30, 32]) {
      for (const share of [0.2, 0.4]) {
        const removed = blocksToRemove(n, share);
        expect(removed).not.toContain(0);
        expect(removed).not.toContain(n - 1);
        expect(new Set(removed).size).toBe(removed.length);
      }
    }
  });

  it('maps each variant to its prune request', () => {
    expect(variantPlan('dense', 30).prune).toBeNull();
    expect(variantPlan('blocks-20', 30).prune).toEqual({ methodId: 'drop-blocks', params: { blocks: '23,24,25,26,27,28' }, needsCalibration: false });
    expect(variantPlan('channels-25', 30).prune?.methodId).toBe('channels');
    expect(variantPlan('wanda-50', 30).prune).toMatchObject({ methodId: 'wanda', params: { sparsity: 0.5 }, needsCalibration: true });
    expect(parseVariants('dense, blocks-40')).toEqual(['dense', 'blocks-40']);
    expect(() => parseVariants('dense,blocks-30')).toThrow(/unknown variant 'blocks-30'/);
  });

  it('speed-ups are medians against the dense model at the same lengths, beside the ideal N/(N−k)', () => {
    const dense: SpeedFigures = {
      prefill: [{ promptTokens: 128, ms: stat(100), tokensPerS: stat(1280) }],
      decode: [{ contextTokens: 128, genTokens: 128, msPerToken: stat(10), tokensPerS: stat(100) }, { contextTokens: 1024, genTokens: 128, msPerToken: stat(20), tokensPerS: stat(50) }],
    };
    const pruned: SpeedFigures = {
      prefill: [{ promptTokens: 128, ms: stat(80), tokensPerS: stat(1600) }],
      decode: [{ contextTokens: 128, genTokens: 128, msPerToken: stat(8), tokensPerS: stat(125) }, { contextTokens: 1024, genTokens: 128, msPerToken: stat(16), tokensPerS: stat(60) }],
    };
    const s = speedups(pruned, dense, variantPlan('blocks-20', 5), 5) as { decode: { speedup: number }[]; prefill: { speedup: number }[]; idealBlockSpeedup: number; decodeVsIdeal: number[] };
    expect(s.decode.map((d) => d.speedup)).toEqual([1.25, 1.2]);
    expect(s.prefill[0].speedup).toBe(1.25);
    expect(s.idealBlockSpeedup).toBe(1.25);
    expect(s.decodeVsIdeal[0]).toBeCloseTo(1, 12);
    expect(s.decodeVsIdeal[1]).toBeCloseTo(0.96, 12);
    expect((speedups(pruned, dense, variantPlan('wanda-50', 5), 5) as { idealBlockSpeedup: null }).idealBlockSpeedup).toBeNull();
  });

  it("decode's bound is bandwidth ÷ (weights + KV cache at the context), and the measured share of it", () => {
    const figures: SpeedFigures = { prefill: [], decode: [{ contextTokens: 1000, genTokens: 128, msPerToken: stat(2), tokensPerS: stat(500) }] };
    // 100 GB/s, 199 MB of weights, 1 kB of KV per token → 200 MB per token → 500 tokens/s bound.
    expect(decodeBound(figures, 100, 199e6, 1000)).toEqual([{ contextTokens: 1000, bytesPerToken: 200e6, boundTokensPerS: 500, fractionOfBound: 1 }]);
    expect(decodeBound(figures, null, 199e6, 1000)).toEqual([]);
  });

  it('largest jump: the biggest ratio between neighbouring ms/token on the curve, 1 when it never rises', () => {
    expect(largestJump([10, 11, 22, 23])).toBe(2);
    expect(largestJump([10, 10.5, 10.9])).toBe(1.05);
    expect(largestJump([30, 20, 10])).toBe(1);
    expect(largestJump([])).toBe(1);
  });
});
