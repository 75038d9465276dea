// planUniform + runSequential on the linear-chain runner (no real model): block ℓ+1 statistics are
// those of the PRUNED block ℓ output, recomputed by hand in float64; the 'dense' comparison stream
// gives the dense ones; plan bookkeeping (params, targets, trace, progress, cancel).
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight } from '../../../src/model/model-spec';
import type { CalibrationRunner } from '../../../src/pruning/calibration';
import type { MethodProgress } from '../../../src/pruning/method';
import { emptyPlan } from '../../../src/pruning/plan';
import { planUniform } from '../../../src/pruning/row-wise/uniform-plan';
import { chainBlock, chainEmbed, chainSpec, chainWindows, linearChainRunner, sqNormOf, type Rows } from '../helpers/linear-chain-runner';

const f32 = (rows: Rows) => rows.map((r) => r.map(Math.fround));

describe('sequential calibration by hand (linear chain)', () => {
  const spec = chainSpec(3, 17);
  const windows = chainWindows(2, 5, 4);

  it.each(['pruned', 'dense'] as const)('%s stream: block 1 and 2 statistics = Σx² of the hand-chained stream (rel. 1e-6)', async (stream) => {
    const runner = linearChainRunner();
    const plan = await planUniform('wanda', 'wanda', { spec, runner, windows }, { sparsity: 0.5, pattern: 'unstructured', stream });
    // The stream by hand: block ℓ with the plan's masks applied (pruned) or not (dense).
    let x = f32(chainEmbed(spec, windows));
    const statsCalls = runner.calls.filter((c) => c.stats === 'norms');
    expect(statsCalls.map((c) => c.block)).toEqual([0, 1, 2]);
    let farFromOther = 0;
    for (let b = 0; b < 3; b++) {
      const dense = chainBlock(spec, b, x);
      for (const name of blockLinearNames(spec, b)) {
        const want = sqNormOf(dense.inputs.get(name)!);
        const got = statsCalls[b].inputs.get(name)!.sqNorm;
        expect(got.length).toBe(want.length);
        want.forEach((v, j) => expect(Math.abs(got[j] - v), `${name}[${j}]`).toBeLessThanOrEqual(1e-6 * v + 1e-12));
      }
      const weights = new Map(spec.weights);
      for (const name of blockLinearNames(spec, b)) {
        const w = getWeight(spec, name);
        weights.set(name, { shape: w.shape, data: w.data.map((v, i) => (plan.masks[name][i] ? v : 0)) });
      }
      const pruned = chainBlock({ ...spec, weights }, b, x);
      const next = stream === 'pruned' ? pruned.output : dense.output;
      const other = stream === 'pruned' ? dense.output : pruned.output;
      next.forEach((r, t) => r.forEach((v, j) => (Math.abs(v - other[t][j]) > 1e-3 * Math.abs(v) ? farFromOther++ : 0)));
      x = f32(next);
    }
    expect(farFromOther).toBeGreaterThan(20); // the two streams really differ, so the check can fail
  });

  it('bookkeeping: params, uniform targets, one layer-pruned entry and progress message per block', async () => {
    const events: MethodProgress[] = [];
    const plan = await planUniform('wanda', 'wanda', { spec, runner: linearChainRunner(), windows, onProgress: (p) => events.push(p) }, { sparsity: 0.25, pattern: 'unstructured' });
    expect(plan.methodId).toBe('wanda');
    expect(plan.params).toEqual({ sparsity: 0.25, pattern: 'unstructured' });
    expect(plan.targetBlockSparsity).toEqual([0.25, 0.25, 0.25]);
    expect(plan.removeBlocks).toEqual([]);
    expect(events.map((e) => [e.message, e.fraction])).toEqual([['pruning block 1/3', 1 / 3], ['pruning block 2/3', 2 / 3], ['pruning block 3/3', 1]]);
    const trace = plan.trace.filter((t) => t.kind === 'layer-pruned');
    expect(trace.length).toBe(3);
    // int(8·0.25) = 2 of 8 inputs, int(12·0.25) = 3 of 12 (down): exactly 25% in every row.
    for (const t of trace) expect(t.kind === 'layer-pruned' && t.sparsity).toBeCloseTo(0.25, 12);
    const sg = await planUniform('sparsegpt', 'sparsegpt', { spec, runner: linearChainRunner(), windows }, { sparsity: 0.5, pattern: '2:4' });
    expect(sg.targetBlockSparsity).toEqual([0.5, 0.5, 0.5]);
    expect(Object.keys(sg.updates).length).toBe(21);
  });

  it('SparseGPT asks for the Gram matrix; magnitude runs no block at all', async () => {
    const runner = linearChainRunner();
    await planUniform('sparsegpt', 'sparsegpt', { spec, runner, windows }, { sparsity: 0.5, pattern: 'unstructured' });
    expect(runner.calls.filter((c) => c.stats === 'gram').map((c) => c.block)).toEqual([0, 1, 2]);
    expect(runner.calls.filter((c) => c.stats === 'none').map((c) => c.block)).toEqual([0, 1]); // last block not re-run
    const idle = linearChainRunner();
    await planUniform('magnitude', 'magnitude', { spec, runner: idle, windows }, { sparsity: 0.5, pattern: 'unstructured' });
    expect(idle.calls.length).toBe(0);
  });

  it('cancels between blocks', async () => {
    const controller = new AbortController();
    const ctx = { spec, runner: linearChainRunner(), windows, signal: controller.signal, onProgress: () => controller.abort() };
    await expect(planUniform('wanda', 'wanda', ctx, { sparsity: 0.5, pattern: 'unstructured' })).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('emptyPlan: nothing removed, zeroed or updated; zero stats', () => {
    expect(emptyPlan('x', { a: 1 })).toEqual({
      methodId: 'x', params: { a: 1 }, removeBlocks: [], masks: {}, updates: {}, targetBlockSparsity: null, trace: [],
      stats: { calibrationMs: 0, methodMs: 0, forwardPasses: 0, sessionsCreated: 0 },
    });
  });
});

describe('planUniform: magnitude bookkeeping, calibration stats of the data-driven bases', () => {
  const spec = chainSpec(2, 13);
  const windows = chainWindows(2, 5, 4);
  it('magnitude: one layer-pruned entry and one progress event per block', async () => {
    const events: MethodProgress[] = [];
    const plan = await planUniform('magnitude', 'magnitude', { spec, runner: linearChainRunner(), windows, onProgress: (p) => events.push(p) }, { sparsity: 0.25, pattern: 'unstructured' });
    expect(plan.trace.map((t) => [t.kind, 'block' in t ? t.block : -1])).toEqual([['layer-pruned', 0], ['layer-pruned', 1]]);
    // Per-matrix threshold: int(numel·s) + 1 zeros of 64–96 weights per matrix, so a little above 0.25.
    for (const t of plan.trace) if (t.kind === 'layer-pruned') expect(t.sparsity).toBeGreaterThan(0.25), expect(t.sparsity).toBeLessThan(0.3);
    expect(events.map((e) => [e.message, e.fraction])).toEqual([['pruning block 1/2', 0.5], ['pruning block 2/2', 1]]);
    expect(events.map((e) => e.trace)).toEqual(plan.trace);
  });
  it('wanda: plan.stats counts the runner forward passes', async () => {
    const inner = linearChainRunner();
    const runner = { ...inner, forwardPasses: 0 } as CalibrationRunner & { forwardPasses: number };
    runner.runBlock = async (s, b, h, k) => {
      runner.forwardPasses++;
      return inner.runBlock(s, b, h, k);
    };
    const plan = await planUniform('wanda', 'wanda', { spec, runner, windows }, { sparsity: 0.5, pattern: 'unstructured' });
    expect(runner.forwardPasses).toBeGreaterThan(0);
    expect(plan.stats?.forwardPasses).toBe(runner.forwardPasses);
  });
});
