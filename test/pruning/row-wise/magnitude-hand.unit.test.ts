// Magnitude by hand (methods.md §2.1): |W| compared over the WHOLE matrix, zero every |W| ≤ the
// ascending-sorted value at index int(numel·s); N:M zeros the N smallest |W| of every aligned group
// of M along the input dim. Data-free.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight } from '../../../src/model/model-spec';
import { magnitude } from '../../../src/pruning/methods/magnitude';
import { pruneLayer } from '../../../src/pruning/row-wise/layer-pruners';
import { parsePattern } from '../../../src/pruning/row-wise/masks';
import { chainSpec, linearChainRunner } from '../helpers/linear-chain-runner';

describe('magnitude by hand', () => {
  // W [2, 3]: |W| sorted = [0.1, 0.2, 0.3, 0.5, 0.7, 0.9]; s = 0.5 → index int(6·0.5) = 3 → threshold 0.5.
  const W = { shape: [2, 3], data: Float32Array.from([0.1, -0.5, 0.3, 0.9, -0.2, 0.7]) };

  it('per matrix: zeros 0.1, 0.5, 0.3, 0.2 (≤ 0.5): row 0 loses all three, row 1 only 0.2; per-row groups differ', () => {
    const mask = pruneLayer({ base: 'magnitude', name: 'w', weight: W, windows: 0, target: { sparsity: 0.5 }, pattern: null }).mask;
    expect(Array.from(mask)).toEqual([0, 0, 0, 1, 0, 1]);
    // Per-row groups (int(3·0.5) = 1 per row) would keep 0.5 and 0.3: [0,1,1, 1,0,1].
    const perRow = pruneLayer({ base: 'magnitude', name: 'w', weight: W, windows: 0, target: { sparsity: 0.5 }, pattern: null, magnitudeGroup: 'row' }).mask;
    expect(Array.from(perRow)).toEqual([0, 1, 1, 1, 0, 1]);
  });

  it('2:4 on 1×8: each aligned group loses its 2 smallest |W|', () => {
    const w8 = { shape: [1, 8], data: Float32Array.from([0.4, -0.1, 0.3, 0.2, -5, 0.6, 0.7, 0.05]) };
    const mask = pruneLayer({ base: 'magnitude', name: 'w', weight: w8, windows: 0, target: { sparsity: 0 }, pattern: parsePattern('2:4') }).mask;
    expect(Array.from(mask)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('magnitude.run: every block linear gets its own per-matrix threshold, no calibration pass', async () => {
    const spec = chainSpec(2, 5);
    const runner = linearChainRunner();
    const plan = await magnitude.run({ spec, runner, windows: [] }, { sparsity: 0.4 });
    const names = [0, 1].flatMap((b) => blockLinearNames(spec, b));
    expect(names.length).toBe(14);
    expect(Object.keys(plan.masks).sort()).toEqual([...names].sort());
    for (const name of names) {
      const abs = Array.from(getWeight(spec, name).data, Math.abs);
      const threshold = [...abs].sort((a, b) => a - b)[Math.floor(abs.length * 0.4)];
      expect(Array.from(plan.masks[name]), name).toEqual(abs.map((v) => (v <= threshold ? 0 : 1)));
    }
    expect(runner.calls.length).toBe(0);
    expect(plan.params).toEqual({ sparsity: 0.4, pattern: 'unstructured' });
  });
});
