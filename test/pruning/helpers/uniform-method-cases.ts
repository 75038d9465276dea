// The shared run() tests of the three uniform methods (magnitude, wanda, sparsegpt) on the
// linear-chain runner: params resolved (defaults filled) and recorded in plan.params, the statistics
// each asks the runner for ('none' → no block run for magnitude, 'norms' for Wanda, 'gram' for
// SparseGPT; re-runs of the pruned block take none), N:M patterns override the sparsity, progress per
// block, layer-pruned trace, parameter errors prefixed with the method id. Called from each method's file.
import { describe, expect, it } from 'vitest';
import { blockLinearNames } from '../../../src/model/model-spec';
import type { MethodProgress, PruningMethod } from '../../../src/pruning/method';
import { rejection } from './errors';
import { chainSpec, chainWindows, linearChainRunner } from './linear-chain-runner';

const spec = chainSpec(2, 31);
const windows = chainWindows(2, 4, 9);
const LINEARS = 7;

export function describeUniformMethod(id: string, method: PruningMethod, statsKind: 'none' | 'norms' | 'gram'): void {
  describe(`${id}.run`, () => {
    it('defaults recorded; statistics asked for; updates only for SparseGPT', async () => {
      const runner = linearChainRunner();
      const plan = await method.run({ spec, runner, windows }, {});
      expect(plan.methodId).toBe(id);
      expect(plan.params).toEqual({ sparsity: 0.5, pattern: 'unstructured' });
      expect(plan.targetBlockSparsity).toEqual([0.5, 0.5]);
      expect(plan.removeBlocks).toEqual([]);
      // Statistics runs of blocks 0 and 1; block 0 re-run without statistics to feed block 1.
      expect(runner.calls.map((c) => [c.block, c.stats])).toEqual(statsKind === 'none' ? [] : [[0, statsKind], [0, 'none'], [1, statsKind]]);
      expect(Object.keys(plan.masks).sort()).toEqual([0, 1].flatMap((b) => blockLinearNames(spec, b)).sort());
      expect(Object.keys(plan.updates).length).toBe(id === 'sparsegpt' ? 2 * LINEARS : 0);
    });

    it('an N:M pattern sets the block target to N/M and is recorded with the given sparsity', async () => {
      const plan = await method.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 0.3, pattern: '2:4' });
      expect(plan.params).toEqual({ sparsity: 0.3, pattern: '2:4' });
      expect(plan.targetBlockSparsity).toEqual([0.5, 0.5]);
      for (const mask of Object.values(plan.masks)) {
        for (let g = 0; g < mask.length; g += 4) expect(mask.subarray(g, g + 4).reduce((s, v) => s + v, 0)).toBe(2);
      }
    });

    it('progress per block with its layer-pruned trace entry', async () => {
      const events: MethodProgress[] = [];
      const plan = await method.run({ spec, runner: linearChainRunner(), windows, onProgress: (p) => events.push(p) }, { sparsity: 0.25 });
      expect(events.map((e) => [e.fraction, e.message])).toEqual([
        [0.5, 'pruning block 1/2'],
        [1, 'pruning block 2/2'],
      ]);
      expect(plan.trace.map((t) => t.kind)).toEqual(['layer-pruned', 'layer-pruned']);
      expect(events.map((e) => e.trace)).toEqual(plan.trace);
    });

    it('parameter errors name the method', async () => {
      const e1 = await rejection(method.run({ spec, runner: linearChainRunner(), windows }, { pattern: '3:4' }));
      expect([e1.code, e1.message]).toEqual(['bad-argument', `${id}: pattern must be one of unstructured, 2:4, 4:8, got 3:4`]);
      const e2 = await rejection(method.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 'half' }));
      expect([e2.code, e2.message]).toEqual(['bad-argument', `${id}: sparsity must be a number, got half`]);
      const e3 = await rejection(method.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 2 }));
      expect([e3.code, e3.message]).toEqual(['bad-argument', `${id}: sparsity must be in [0, 0.99], got 2`]);
    });
  });
}
