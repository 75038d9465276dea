// Magnitude, Wanda, SparseGPT on the real stories260K with the wasm calibration runner: mask
// accounting (check 3), 50% perplexity ordering (check 5), sequential vs dense stream (check 7),
// determinism, progress/cancel/stats.
import { describe, expect, it } from 'vitest';
import { blockLinearNames } from '../../src/model/model-spec';
import { applyPlan } from '../../src/pruning/apply-plan';
import { magnitude } from '../../src/pruning/methods/magnitude';
import { sparsegpt } from '../../src/pruning/methods/sparsegpt';
import { wanda } from '../../src/pruning/methods/wanda';
import type { MethodProgress } from '../../src/pruning/method';
import { planUniform } from '../../src/pruning/row-wise/uniform-plan';
import { countZeros } from '../../src/pruning/row-wise/masks';
import { measureSparsity } from '../../src/pruning/sparsity';
import { context, heldOutPpl, stories, storiesSpec as spec } from './helpers/stories';

const names = spec.layers.flatMap((_, i) => blockLinearNames(spec, i));
const windows = stories(16, 128);

describe('mask accounting on stories260K', () => {
  it('magnitude: per-matrix zero fraction = s (ties may add a few)', async () => {
    const plan = await magnitude.run(context(windows), { sparsity: 0.3 });
    expect(names.length).toBe(35);
    for (const name of names) {
      const n = plan.masks[name].length;
      expect(countZeros(plan.masks[name])).toBeGreaterThanOrEqual(Math.floor(n * 0.3));
      expect(countZeros(plan.masks[name])).toBeLessThanOrEqual(Math.floor(n * 0.3) + 2);
    }
    expect(plan.stats.forwardPasses).toBe(0);
  });

  it('Wanda: every row of every matrix has exactly int(d_in·s) zeros', async () => {
    const s = 0.45;
    const plan = await wanda.run(context(windows), { sparsity: s });
    expect(names.length).toBe(35);
    for (const name of names) {
      const [rows, cols] = spec.weights.get(name)!.shape;
      for (let r = 0; r < rows; r++) expect(countZeros(plan.masks[name].subarray(r * cols, (r + 1) * cols))).toBe(Math.floor(cols * s));
    }
  });

  it.each([magnitude, wanda, sparsegpt])('$id 2:4: every aligned group of 4 has ≥ 2 zeros, global 50% exactly', async (method) => {
    const plan = await method.run(context(windows), { pattern: '2:4' });
    const pruned = applyPlan(spec, plan);
    expect(names.length).toBe(35);
    for (const name of names) {
      const data = pruned.weights.get(name)!.data;
      for (let g = 0; g < data.length; g += 4) expect([0, 1, 2, 3].filter((t) => data[g + t] === 0).length).toBeGreaterThanOrEqual(2);
      expect(countZeros(plan.masks[name])).toBe(data.length / 2);
    }
    expect(measureSparsity(pruned).overall).toBe(0.5);
  });

  it('4:8 names the layer whose input size is not a multiple of 8', async () => {
    await expect(wanda.run(context(windows), { pattern: '4:8' })).rejects.toThrow(/model\.layers\.0\.mlp\.down_proj\.weight: 4:8 sparsity needs the input size \(172\)/);
  });

  it('rejects out-of-range parameters', async () => {
    await expect(wanda.run(context(windows), { sparsity: 1.5 })).rejects.toThrow(/wanda: sparsity must be in \[0, 0.99\]/);
  });
});

describe('50% unstructured on held-out text', () => {
  it('ppl(Wanda) < ppl(magnitude) and ppl(SparseGPT) < ppl(magnitude); all above dense', async () => {
    const dense = await heldOutPpl(spec);
    const ppl: Record<string, number> = {};
    for (const method of [magnitude, wanda, sparsegpt]) {
      const plan = await method.run(context(windows), { sparsity: 0.5 });
      const pruned = applyPlan(spec, plan);
      expect(Math.abs(measureSparsity(pruned).overall - 0.5)).toBeLessThan(0.002);
      ppl[method.id] = await heldOutPpl(pruned);
    }
    expect(ppl.wanda).toBeLessThan(ppl.magnitude);
    expect(ppl.sparsegpt).toBeLessThan(ppl.magnitude);
    expect(Object.keys(ppl).length).toBe(3);
    for (const v of Object.values(ppl)) expect(v).toBeGreaterThan(dense);
  });
});

describe('sequential calibration and run bookkeeping', () => {
  it('block ℓ+1 statistics come from pruned outputs: masks differ from a dense-stream variant after block 0', async () => {
    const sequential = await planUniform('wanda', 'wanda', context(windows), { sparsity: 0.5, pattern: 'unstructured' });
    const denseStream = await planUniform('wanda', 'wanda', context(windows), { sparsity: 0.5, pattern: 'unstructured', stream: 'dense' });
    const differs = (block: number) => blockLinearNames(spec, block).some((n) => sequential.masks[n].some((v, i) => v !== denseStream.masks[n][i]));
    expect(differs(0)).toBe(false); // block 0 sees the embedding either way
    expect([1, 2, 3, 4].some(differs)).toBe(true);
  });

  it('same seed → same plan; progress per block; stats filled', async () => {
    const events: MethodProgress[] = [];
    const ctx = { ...context(stories(16, 128, 7)), onProgress: (p: MethodProgress) => events.push(p) };
    const a = await sparsegpt.run(ctx, { sparsity: 0.5 });
    const b = await sparsegpt.run(context(stories(16, 128, 7)), { sparsity: 0.5 });
    expect(Object.keys(a.masks)).toEqual(names);
    expect(names.length).toBe(35);
    for (const n of names) {
      expect(a.masks[n]).toEqual(b.masks[n]);
      expect(a.updates[n]).toEqual(b.updates[n]);
    }
    expect(events.map((e) => e.message)).toEqual([1, 2, 3, 4, 5].map((i) => `pruning block ${i}/5`));
    expect(events.at(-1)!.fraction).toBe(1);
    expect(a.trace.filter((t) => t.kind === 'layer-pruned').length).toBe(5);
    expect(a.stats.calibrationMs).toBeGreaterThan(0);
    expect(a.stats.methodMs).toBeGreaterThan(0);
    expect(a.stats.forwardPasses).toBeCloseTo(1 + 4 / 5, 9); // 5 stats runs + 4 pruned re-runs, 1/L each
    expect(a.stats.sessionsCreated).toBeGreaterThan(0);
  });

  it('cancels between blocks with LabError cancelled', async () => {
    const controller = new AbortController();
    const ctx = { ...context(windows), signal: controller.signal, onProgress: () => controller.abort() };
    await expect(wanda.run(ctx, { sparsity: 0.5 })).rejects.toMatchObject({ code: 'cancelled' });
  });
});
