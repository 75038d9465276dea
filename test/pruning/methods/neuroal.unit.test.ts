// NeuroAL on the linear-chain runner: plan id and parameter errors, the SparseGPT path (block step
// only), search windows and progress, argmin bookkeeping, the row targets of the chosen λ, and the
// final prune's row counts and statistics kinds per base.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight, llamaNames } from '../../../src/model/model-spec';
import type { CalibrationRunner } from '../../../src/pruning/calibration';
import type { MethodProgress } from '../../../src/pruning/method';
import { neuroal, neuroalSearch, planNeuroal } from '../../../src/pruning/methods/neuroal';
import type { TraceEntry } from '../../../src/pruning/plan';
import { neuroalBlockSparsities } from '../../../src/pruning/row-wise/allocation';
import { officialRowZeros } from '../../../src/pruning/row-wise/masks';
import { alignmentPass, rowStepTargets } from '../../../src/pruning/row-wise/neuroal-search';
import { rejection } from '../helpers/errors';
import { chainSpec, chainWindows, linearChainRunner } from '../helpers/linear-chain-runner';

type Grid = Extract<TraceEntry, { kind: 'neuroal-grid' }>;
const windows = chainWindows(3, 5, 2);

describe('NeuroAL search and plan', () => {
  const spec = chainSpec(2, 29);
  it('plan id; parameter range errors name the method', async () => {
    const plan = await neuroal.run({ spec: chainSpec(2, 21), runner: linearChainRunner(), windows }, { sparsity: 0.5, searchWindows: 1 });
    expect(plan.methodId).toBe('neuroal');
    expect(plan.params.sparsity).toBe(0.5);
    expect(plan.masks[llamaNames.q(1)]).toBeDefined();
    const e = await rejection(neuroal.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 2 }));
    expect(e.message).toBe('neuroal: sparsity must be in [0, 0.99], got 2');
  });
  it('SparseGPT: block step only, with either rounding; one chosen λ', async () => {
    for (const rounding of ['official', 'cumulative'] as const) {
      const search = await neuroalSearch({ spec, runner: linearChainRunner(), windows }, { sparsity: 0.5, base: 'sparsegpt', searchWindows: 2, includeUniform: false, rounding }, 1);
      expect(search.rowLambda).toBeNull();
      expect(search.rowSparsity).toBeNull();
      const grid = search.trace as Grid[];
      expect(grid.length).toBe(14);
      expect(grid.every((g) => g.stage === 'block')).toBe(true);
      expect(grid.filter((g) => g.chosen).map((g) => g.lambda)).toEqual([search.blockLambda]);
    }
  });
  it('searches on the first searchWindows windows; progress reaches progressTo', async () => {
    const inner = linearChainRunner();
    const embedded: number[] = [];
    const runner: CalibrationRunner = { ...inner, embed: (s, w) => (embedded.push(w.length), inner.embed(s, w)) };
    const events: MethodProgress[] = [];
    await neuroalSearch({ spec, runner, windows, onProgress: (p) => events.push(p) }, { sparsity: 0.5, base: 'wanda', searchWindows: 2, includeUniform: false }, 0.8);
    expect(embedded).toEqual([2]);
    expect(events.length).toBe(29);
    events.forEach((e, i) => expect(e.fraction).toBeCloseTo((0.8 * (i + 1)) / 29, 12));
    expect(events[0].message).toBe('NeuroAL block step λ = 0.01');
    expect(events[14].message).toBe('NeuroAL row step λ = 0');
    expect((events[0].trace as Grid).chosen).toBe(false);
  });
  it('argmin bookkeeping and the row targets of the chosen λ', async () => {
    const runner = linearChainRunner();
    const ctx = { spec, runner, windows };
    const search = await neuroalSearch(ctx, { sparsity: 0.5, base: 'wanda', searchWindows: 3, includeUniform: false }, 1);
    const grid = search.trace as Grid[];
    const rows = grid.filter((g) => g.stage === 'row');
    const blocks = grid.filter((g) => g.stage === 'block');
    expect(rows.length).toBe(15);
    for (const stage of [blocks, rows]) expect(stage.filter((g) => g.chosen).length).toBe(1);
    expect(search.rowObjective).toBe(Math.min(...rows.map((g) => g.objective)));
    expect(rows.find((g) => g.chosen)!.lambda).toBe(search.rowLambda);
    expect(blocks.find((g) => g.chosen)!.lambda).toBe(search.blockLambda);
    // The row targets are the row step of the chosen λ on the chosen block step's alignment.
    const s = neuroalBlockSparsities(2, 0.5, search.blockLambda);
    const pass = await alignmentPass(runner, spec, await runner.embed(spec, windows), windows.length, 'wanda', (b) => ({ sparsity: s[b] }));
    expect(search.rowSparsity).toEqual(rowStepTargets(spec, s, pass.alignment, search.rowLambda!));
    // The default rounding is the official one.
    const official = await neuroalSearch(ctx, { sparsity: 0.5, base: 'wanda', searchWindows: 3, includeUniform: false, rounding: 'official' }, 1);
    expect(official.trace).toEqual(search.trace);
  });
  it('the final prune uses the searched row targets (Wanda) with the right statistics per base', async () => {
    const runner = linearChainRunner();
    const plan = await planNeuroal({ spec, runner, windows }, { sparsity: 0.5, base: 'wanda', searchWindows: 3, includeUniform: false });
    expect(plan.params).toEqual({ sparsity: 0.5, base: 'wanda', searchWindows: 3, includeUniform: false, rounding: 'official' });
    expect(runner.calls.slice(-3).map((c) => c.stats)).toEqual(['norms', 'none', 'norms']);
    const search = await neuroalSearch({ spec, runner: linearChainRunner(), windows }, { sparsity: 0.5, base: 'wanda', searchWindows: 3, includeUniform: false }, 1);
    let nonUniform = 0;
    for (let b = 0; b < 2; b++)
      for (const name of blockLinearNames(spec, b)) {
        const [rows, cols] = getWeight(spec, name).shape;
        const want = Array.from(officialRowZeros(cols, search.rowSparsity!.get(name)!));
        const got = Array.from({ length: rows }, (_, r) => plan.masks[name].subarray(r * cols, (r + 1) * cols).filter((m) => m === 0).length);
        expect(got, name).toEqual(want);
        if (new Set(want).size > 1) nonUniform++;
      }
    expect(nonUniform).toBeGreaterThan(0);
    for (const [base, kind] of [['sparsegpt', 'gram'], ['magnitude', 'none']] as const) {
      const r = linearChainRunner();
      const p = await planNeuroal({ spec, runner: r, windows }, { sparsity: 0.5, base, searchWindows: 3, includeUniform: false });
      expect(r.calls.slice(-3).map((c) => c.stats)).toEqual([kind, 'none', kind]);
      expect(Object.keys(p.updates).length).toBe(base === 'sparsegpt' ? 14 : 0);
    }
  });
});
