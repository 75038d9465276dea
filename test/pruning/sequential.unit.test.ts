// sequential.ts: startPlanStats (counter deltas, method time never negative), runSequential's
// progress range and trace, maskedFraction over all linears of a block.
import { describe, expect, it } from 'vitest';
import { llamaNames } from '../../src/model/model-spec';
import type { CalibrationRunner } from '../../src/pruning/calibration';
import type { MethodProgress } from '../../src/pruning/method';
import { emptyPlan } from '../../src/pruning/plan';
import { maskedFraction, runSequential, startPlanStats } from '../../src/pruning/sequential';
import { chainSpec, chainWindows, linearChainRunner } from './helpers/linear-chain-runner';

describe('plan statistics', () => {
  const busy = (ms: number) => {
    const t = performance.now();
    while (performance.now() - t < ms);
  };
  const counters = (forwardMs: number, forwardPasses: number, sessionsCreated: number) => ({ forwardMs, forwardPasses, sessionsCreated }) as unknown as CalibrationRunner;
  it('counts only what happened between start and finish', () => {
    const runner = counters(100, 7, 2) as unknown as { forwardMs: number; forwardPasses: number; sessionsCreated: number };
    const finish = startPlanStats(runner as unknown as CalibrationRunner);
    busy(15);
    runner.forwardMs += 4;
    runner.forwardPasses += 3;
    runner.sessionsCreated += 1;
    const plan = finish(emptyPlan('x', {}));
    expect(plan.stats.calibrationMs).toBe(4);
    expect(plan.stats.forwardPasses).toBe(3);
    expect(plan.stats.sessionsCreated).toBe(1);
    expect(plan.stats.methodMs).toBeGreaterThanOrEqual(5);
    expect(plan.stats.methodMs).toBeLessThan(5000);
  });
  it('method time is never negative; no runner counts nothing', () => {
    const runner = counters(0, 0, 0) as unknown as { forwardMs: number };
    const finish = startPlanStats(runner as unknown as CalibrationRunner);
    runner.forwardMs += 60_000; // more calibration time than wall time (e.g. a parallel runner)
    expect(finish(emptyPlan('x', {})).stats.methodMs).toBe(0);
    expect(startPlanStats(null)(emptyPlan('x', {})).stats).toMatchObject({ calibrationMs: 0, forwardPasses: 0, sessionsCreated: 0 });
  });
});

describe('runSequential and maskedFraction', () => {
  it('progress runs from progressFrom to progressTo; the trace has one entry per block', async () => {
    const spec = chainSpec(2, 3);
    const events: MethodProgress[] = [];
    const result = await runSequential(
      { spec, runner: linearChainRunner(), windows: chainWindows(1, 4), onProgress: (p) => events.push(p) },
      { statsKind: 'norms', progressFrom: 0.4, progressTo: 0.8, pruneBlock: () => ({ masks: {}, updates: {} }) },
    );
    expect(events.map((e) => e.fraction)).toEqual([0.6000000000000001, 0.8]);
    expect(result.trace).toEqual([
      { kind: 'layer-pruned', block: 0, sparsity: 0 },
      { kind: 'layer-pruned', block: 1, sparsity: 0 },
    ]);
  });
  it('maskedFraction counts over all linears of the block, masked or not', () => {
    const spec = chainSpec(1, 3);
    const q = llamaNames.q(0);
    const mask = new Uint8Array(64).fill(1);
    mask.fill(0, 0, 32);
    const total = [...spec.weights.entries()].filter(([n]) => n.startsWith('model.layers.0.') && n.endsWith('_proj.weight')).reduce((s, [, w]) => s + w.data.length, 0);
    expect(maskedFraction(spec, 0, { [q]: mask })).toBe(32 / total);
    expect(maskedFraction(spec, 0, {})).toBe(0);
  });
});
