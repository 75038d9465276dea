// OWL on the linear-chain runner: plan id and parameter errors, dense norms for the outlier ratios
// then the base's statistics in the prune pass, progress ranges, missing statistics.
import { describe, expect, it } from 'vitest';
import { llamaNames } from '../../../src/model/model-spec';
import type { MethodProgress } from '../../../src/pruning/method';
import { owl, planOwl } from '../../../src/pruning/methods/owl';
import { rejection } from '../helpers/errors';
import { chainSpec, chainWindows, linearChainRunner, withoutStatsFor } from '../helpers/linear-chain-runner';

const windows = chainWindows(3, 5, 2);

describe('OWL', () => {
  const spec = chainSpec(2, 23);
  it('plan id; parameter range errors name the method', async () => {
    const plan = await owl.run({ spec: chainSpec(2, 21), runner: linearChainRunner(), windows }, { sparsity: 0.5 });
    expect(plan.methodId).toBe('owl');
    expect(plan.params.sparsity).toBe(0.5);
    expect(plan.masks[llamaNames.q(1)]).toBeDefined();
    const e = await rejection(owl.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 2 }));
    expect(e.message).toBe('owl: sparsity must be in [0, 0.99], got 2');
  });
  it.each([
    ['sparsegpt', 'gram'],
    ['wanda', 'norms'],
    ['magnitude', 'none'],
  ] as const)('base %s: dense norms for the outliers, then %s statistics in the prune pass', async (base, kind) => {
    const runner = linearChainRunner();
    const plan = await planOwl({ spec, runner, windows }, { sparsity: 0.5, base, M: 2, lambda: 0.1 });
    expect(runner.calls.map((c) => c.stats)).toEqual(['norms', 'norms', kind, 'none', kind]);
    expect(plan.params).toEqual({ sparsity: 0.5, base, M: 2, lambda: 0.1 });
    expect(Object.keys(plan.updates).length).toBe(base === 'sparsegpt' ? 14 : 0);
  });
  it('progress: outlier blocks up to 0.3, the allocation at 0.3, then pruning up to 1', async () => {
    const events: MethodProgress[] = [];
    const plan = await owl.run({ spec, runner: linearChainRunner(), windows, onProgress: (p) => events.push(p) }, { sparsity: 0.5 });
    expect(events.map((e) => e.message)).toEqual(['measuring outliers, block 1/2', 'measuring outliers, block 2/2', 'block sparsities allocated', 'pruning block 1/2', 'pruning block 2/2']);
    [0.15, 0.3, 0.3, 0.65, 1].forEach((f, i) => expect(events[i].fraction).toBeCloseTo(f, 12));
    expect(events[2].trace).toEqual(plan.trace[0]);
    expect(plan.trace[0].kind).toBe('owl-outliers');
  });
  it('missing statistics name the layer', async () => {
    const runner = withoutStatsFor(linearChainRunner(), llamaNames.gate);
    const e = await rejection(planOwl({ spec, runner, windows }, { sparsity: 0.5, base: 'wanda', M: 5, lambda: 0.08 }));
    expect(e.message).toBe(`calibration runner returned no statistics for ${llamaNames.gate(0)}`);
  });
});
