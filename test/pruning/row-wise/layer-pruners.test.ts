// Base scorers on real stories260K weights (check 4), and SparseGPT's reconstruction on real
// calibration statistics from the wasm runner (check 6).
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight, llamaNames } from '../../../src/model/model-spec';
import { pruneLayer } from '../../../src/pruning/row-wise/layer-pruners';
import { parsePattern, perRowMask, uniformRowZeros } from '../../../src/pruning/row-wise/masks';
import { createCalibrationRunner } from '../../../src/runtime/calibration-runner';
import { stories, storiesSpec as spec } from '../helpers/stories';

const names = blockLinearNames(spec, 2);

describe('Wanda scores', () => {
  it('with all activation norms 1, reproduces per-row magnitude masks', () => {
    expect(names.length).toBe(7);
    for (const name of names) {
      const weight = getWeight(spec, name);
      const [rows, cols] = weight.shape;
      const ones = { sqNorm: new Float64Array(cols).fill(1), gram: null, tokens: 1 };
      const viaWanda = pruneLayer({ base: 'wanda', name, weight, stats: ones, windows: 1, target: { sparsity: 0.6 }, pattern: null });
      const viaMagnitude = perRowMask(weight.data.map(Math.abs), rows, cols, uniformRowZeros(rows, cols, 0.6));
      expect(viaWanda.mask).toEqual(viaMagnitude);
    }
  });

  it.each(['unstructured', '2:4'])('%s: scaling all activations by a constant leaves the mask unchanged', (pattern) => {
    expect(names.length).toBe(7);
    for (const name of names) {
      const weight = getWeight(spec, name);
      const cols = weight.shape[1];
      const sqNorm = Float64Array.from({ length: cols }, (_, j) => 0.1 + ((j * 37) % 11));
      const scaled = sqNorm.map((v) => v * 9.7);
      const run = (norms: Float64Array, windows: number) =>
        pruneLayer({ base: 'wanda', name, weight, stats: { sqNorm: norms, gram: null, tokens: 1 }, windows, target: { sparsity: 0.5 }, pattern: parsePattern(pattern) }).mask;
      expect(run(scaled, 3)).toEqual(run(sqNorm, 16));
    }
  });
});

describe('SparseGPT on real calibration statistics', () => {
  it('per-layer ‖WX − ŴX‖² after the OBS update ≤ zeroing the same mask', async () => {
    const runner = createCalibrationRunner({ backend: 'wasm' });
    const windows = stories(8, 128);
    const hidden = await runner.embed(spec, windows);
    const run = await runner.runBlock(spec, 0, hidden, 'gram');
    await runner.dispose();
    for (const name of [llamaNames.q(0), llamaNames.o(0), llamaNames.up(0), llamaNames.down(0)]) {
      const weight = getWeight(spec, name);
      const [rows, cols] = weight.shape;
      const stats = run.inputs.get(name)!;
      expect(stats.gram).not.toBeNull();
      const result = pruneLayer({ base: 'sparsegpt', name, weight, stats, windows: windows.length, target: { sparsity: 0.5 }, pattern: null });
      const error = (hat: ArrayLike<number>) => {
        let total = 0;
        for (let r = 0; r < rows; r++) {
          const d = Float64Array.from({ length: cols }, (_, j) => weight.data[r * cols + j] - hat[r * cols + j]);
          for (let i = 0; i < cols; i++) {
            let s = 0;
            for (let j = 0; j < cols; j++) s += stats.gram![i * cols + j] * d[j];
            total += d[i] * s;
          }
        }
        return total;
      };
      const obs = error(result.update!);
      const zeroed = error(weight.data.map((v, i) => (result.mask[i] ? v : 0)));
      expect(obs).toBeLessThan(zeroed);
    }
  });
});
