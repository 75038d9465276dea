// ShortGPT on the real stories260K: an identity block has Block Influence 0 and is the one removed;
// removal takes the k smallest BI; protected SLEB's calibration ppl vs ShortGPT's for the same k.

import { afterAll, describe, expect, it } from 'vitest';
import { llamaNames, type ModelSpec } from '../../src/model/model-spec';
import { shortgpt, smallestK } from '../../src/pruning/methods/shortgpt';
import { sleb } from '../../src/pruning/methods/sleb';
import { context, stories, storiesSpec } from './helpers/stories';

const L = storiesSpec.layers.length;

/** Block i with o_proj and down_proj zeroed adds nothing to the residual stream: an identity block. */
function withIdentityBlock(spec: ModelSpec, i: number): ModelSpec {
  const weights = new Map(spec.weights);
  for (const name of [llamaNames.o(i), llamaNames.down(i)]) {
    const w = spec.weights.get(name)!;
    weights.set(name, { shape: w.shape, data: new Float32Array(w.data.length) });
  }
  return { ...spec, weights };
}

describe('ShortGPT', () => {
  const windows = stories(12, 128, 0);
  const ctx = context(windows);
  afterAll(() => ctx.runner.dispose());

  it('an identity block has BI 0 and is removed first; removal = the k smallest BI, one pass, one session', async () => {
    const spec = withIdentityBlock(storiesSpec, 1);
    const plan = await shortgpt.run({ ...ctx, spec }, { blocks: 1 });
    const entry = plan.trace[0];
    if (entry.kind !== 'block-influence') throw new Error('expected a block-influence trace');
    expect(entry.scores.map((s) => s.block)).toEqual([0, 1, 2, 3, 4]);
    expect(Math.abs(entry.scores[1].influence)).toBeLessThan(1e-6);
    for (const s of entry.scores) if (s.block !== 1) expect(s.influence).toBeGreaterThan(1e-3);
    expect(plan.removeBlocks).toEqual([1]);
    expect(plan.stats.forwardPasses).toBe(1);
    const dense = await shortgpt.run(ctx, { blocks: 2 });
    const scores = (dense.trace[0] as { scores: { influence: number }[] }).scores.map((s) => s.influence);
    const sorted = [...scores].sort((a, b) => a - b);
    expect(dense.removeBlocks).toEqual(smallestK(scores, 2).sort((a, b) => a - b));
    expect(dense.removeBlocks.length).toBe(2);
    for (const b of dense.removeBlocks) expect(scores[b]).toBeLessThanOrEqual(sorted[1]);
    expect(dense.removeBlocks.every((b, i, a) => i === 0 || a[i - 1] < b)).toBe(true);
  });

  it('smallestK breaks ties by the lower index', () => {
    expect(smallestK([0.3, 0.1, 0.1, 0.2], 2)).toEqual([1, 2]);
    expect(smallestK([0.5, 0.5, 0.5], 1)).toEqual([0]);
  });

  it('protected SLEB: k = 1 is the exhaustive optimum over blocks 1..L−2 and beats ShortGPT; k = 2 within 5% or better', async () => {
    const tokens = windows.length * (windows[0].length - 1);
    const calibrationPpl = async (removed: number[]) =>
      Math.exp((await ctx.runner.gatedNll(storiesSpec, windows, Array.from({ length: L }, (_, i) => (removed.includes(i) ? 0 : 1)))) / tokens);
    // Exhaustive single removals among the candidates SLEB may touch (protectEnds: not 0, not L − 1).
    const candidates = Array.from({ length: L - 2 }, (_, i) => i + 1);
    expect(candidates.length).toBe(3);
    const single = await Promise.all(candidates.map((b) => calibrationPpl([b])));
    const best = Math.min(...single);
    const results: string[] = [];
    for (const k of [1, 2]) {
      const slebPlan = await sleb.run(ctx, { blocks: k });
      expect(slebPlan.params.protectEnds).toBe(true);
      expect(slebPlan.removeBlocks.length).toBe(k);
      for (const b of slebPlan.removeBlocks) expect(candidates).toContain(b);
      const shortPlan = await shortgpt.run(ctx, { blocks: k });
      const s = await calibrationPpl(slebPlan.removeBlocks);
      const g = await calibrationPpl(shortPlan.removeBlocks);
      results.push(`k=${k}: SLEB ${slebPlan.removeBlocks} ${s.toFixed(3)} vs ShortGPT ${shortPlan.removeBlocks} ${g.toFixed(3)}`);
      if (k === 1) {
        expect(s).toBeCloseTo(best, 9); // the greedy step is the argmin of the exhaustive scan
        // ShortGPT's block is a SLEB candidate here or not; either way SLEB optimises the very number compared.
        if (candidates.includes(shortPlan.removeBlocks[0])) expect(s).toBeLessThanOrEqual(g * (1 + 1e-9));
      }
      // Greedy and the protected ends can lose to ShortGPT (methods.md check 14): a violation beyond 5% fails.
      expect(s, results.join('; ')).toBeLessThanOrEqual(g * 1.05);
    }
    console.info(results.join('; '));
  });

  it('refuses removing every block', async () => {
    await expect(shortgpt.run(ctx, { blocks: L })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/at most 4/) });
  });
});
