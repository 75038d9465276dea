// evaluation/decode-bound.ts: bytes read per new token (weights + KV cache at that context), the bound
// bandwidth ÷ bytes, the measured share of it; no bound without a bandwidth.

import { describe, expect, it } from 'vitest';
import { decodeBoundAt, decodeBytesPerToken, KV_CACHE_ELEMENT_BYTES, kvBytesPerToken } from '../../src/evaluation/decode-bound';

describe('decode bound', () => {
  it('KV bytes per cached token: 2 × Σ kvHeads × headDim × element bytes, per block (pruned blocks may differ)', () => {
    // SmolLM-135M: 30 blocks × 3 kv heads × 64 dims, fp32 → 2·30·3·64·4 = 46080
    expect(kvBytesPerToken(new Array(30).fill({ numKvHeads: 3, headDim: 64 }), 4)).toBe(46080);
    expect(kvBytesPerToken([{ numKvHeads: 4, headDim: 8 }, { numKvHeads: 2, headDim: 8 }], 2)).toBe(2 * (32 + 16) * 2);
    expect(kvBytesPerToken([], 4)).toBe(0);
    expect(KV_CACHE_ELEMENT_BYTES).toBe(4); // float32 at every weight precision (the decode graph's past/present inputs)
  });

  it('bytes per token grow with the context; the bound is bandwidth ÷ bytes; the fraction measured ÷ bound', () => {
    expect(decodeBytesPerToken(1e9, 1000, 0)).toBe(1e9);
    expect(decodeBytesPerToken(1e9, 1000, 4096)).toBe(1e9 + 4096000);
    const b = decodeBoundAt(40, 100, 199e6, 1000, 1000);
    expect(b).toEqual({ contextTokens: 1000, bytesPerToken: 200e6, boundTokensPerS: 500, fractionOfBound: 0.08 });
    // a longer context lowers the bound, so the same speed is a larger share of it
    const long = decodeBoundAt(40, 100, 199e6, 1000, 101000)!;
    expect(long.boundTokensPerS).toBeCloseTo(1e11 / 300e6, 9);
    expect(long.fractionOfBound).toBeGreaterThan(b!.fractionOfBound);
  });

  it('no bandwidth (wasm, a failed probe), zero or NaN: no bound', () => {
    expect(decodeBoundAt(40, null, 1e6, 10, 16)).toBeNull();
    expect(decodeBoundAt(40, 0, 1e6, 10, 16)).toBeNull();
    expect(decodeBoundAt(40, Number.NaN, 1e6, 10, 16)).toBeNull();
  });
});
