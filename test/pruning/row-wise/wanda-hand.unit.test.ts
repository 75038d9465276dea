// Wanda by hand (methods.md §2.2): S_ij = |W_ij|·sqrt(Σ_t x_tj² / windows), compared within each
// OUTPUT ROW, int(d_in·s) zeros per row. Hand-worked values where the activations change the answer,
// and where dropping the sqrt, reading the norm on the wrong axis or comparing per column would too.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight } from '../../../src/model/model-spec';
import type { LinearInputStats } from '../../../src/pruning/calibration';
import { wanda } from '../../../src/pruning/methods/wanda';
import { pruneLayer, wandaScores } from '../../../src/pruning/row-wise/layer-pruners';
import { parsePattern } from '../../../src/pruning/row-wise/masks';
import { pruneBlockWith } from '../../../src/pruning/row-wise/uniform-plan';
import { rng } from '../../oracles/reference-forward';
import { chainBlock, chainEmbed, chainSpec, chainWindows, linearChainRunner, sqNormOf } from '../helpers/linear-chain-runner';

// W [2 rows (out), 4 cols (in)]; activations summed over 3 windows: Σ x² = 3·[1, 4, 0.25, 9],
// so scaler_row = [1, 4, 0.25, 9] and ‖X_j‖ (per window) = [1, 2, 0.5, 3].
const W = { shape: [2, 4], data: Float32Array.from([3, -1, 2, 0.5, 0.2, 2, -1, 4]) };
const WINDOWS = 3;
const SQ_NORM = Float64Array.from([3, 12, 0.75, 27]);

/** Expected mask by the paper's rule: per row, zero the k smallest scores (stable: lower index first). */
function rowRule(scores: number[], rows: number, cols: number, k: number): number[] {
  const mask = new Array(rows * cols).fill(1);
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: cols }, (_, j) => j).sort((a, b) => scores[r * cols + a] - scores[r * cols + b] || a - b);
    for (const j of idx.slice(0, k)) mask[r * cols + j] = 0;
  }
  return mask;
}

describe('wandaScores (direct)', () => {
  it('S = |W|·sqrt(Σx²/windows): hand values', () => {
    // row 0: 3·1, 1·2, 2·0.5, 0.5·3; row 1: 0.2·1, 2·2, 1·0.5, 4·3.
    const expected = [3, 2, 1, 1.5, 0.2, 4, 0.5, 12];
    const got = Array.from(wandaScores(W, SQ_NORM, WINDOWS));
    expect(got.length).toBe(8);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });
  it('the mean is over windows (scaler_row = Σx² / windows), not over tokens or none', () => {
    const one = Array.from(wandaScores(W, SQ_NORM, 1));
    // windows = 1: ‖X_j‖ = sqrt(3·scaler) → every score × sqrt(3).
    expect(one[0]).toBeCloseTo(3 * Math.sqrt(3), 6);
    expect(one[7]).toBeCloseTo(12 * Math.sqrt(3), 6);
  });
  it('rejects norms of the wrong length (the input axis is the column axis)', () => {
    expect(() => wandaScores(W, new Float64Array(2), 1)).toThrow(/2 channels, weight has 4 inputs/);
  });
});

describe('Wanda masks by hand', () => {
  const stats: LinearInputStats = { sqNorm: SQ_NORM, gram: null, tokens: 12 };
  const scores = [3, 2, 1, 1.5, 0.2, 4, 0.5, 12];
  const expected = rowRule(scores, 2, 4, 2);

  it('s = 0.5: row 0 drops cols 2, 3 and row 1 drops cols 0, 2 — not what magnitude, no-sqrt or per-column would drop', () => {
    expect(expected).toEqual([1, 1, 0, 0, 0, 1, 0, 1]);
    const mask = pruneLayer({ base: 'wanda', name: 'w', weight: W, stats, windows: WINDOWS, target: { sparsity: 0.5 }, pattern: null }).mask;
    expect(Array.from(mask)).toEqual(expected);
    // The case discriminates: each wrong variant gives another mask.
    const magnitude = rowRule(Array.from(W.data, Math.abs), 2, 4, 2);
    const noSqrt = rowRule(Array.from(W.data, (w, i) => Math.abs(w) * (SQ_NORM[i % 4] / WINDOWS)), 2, 4, 2);
    const rowAxisNorm = rowRule(Array.from(W.data, (w, i) => Math.abs(w) * Math.sqrt(SQ_NORM[Math.floor(i / 4)] / WINDOWS)), 2, 4, 2);
    for (const wrong of [magnitude, noSqrt, rowAxisNorm]) expect(wrong).not.toEqual(expected);
    // Per-column comparison (the lower of the 2 rows in each column goes): [1,0,1,0, 0,1,0,1].
    const perColumn = [0, 1, 2, 3].flatMap((j) => (scores[j] <= scores[4 + j] ? [j] : [4 + j]));
    expect(perColumn).toEqual([4, 1, 6, 3]);
    expect(perColumn.map((i) => expected[i]).every((m) => m === 0)).toBe(false);
  });

  it('2:4: each aligned group of 4 loses its 2 lowest scores (here the same as s = 0.5, one group per row)', () => {
    const mask = pruneLayer({ base: 'wanda', name: 'w', weight: W, stats, windows: WINDOWS, target: { sparsity: 0 }, pattern: parsePattern('2:4') }).mask;
    expect(Array.from(mask)).toEqual(expected);
  });

  it('2:4 on 1×8: groups are aligned [0,4) and [4,8) along the input dim', () => {
    const w8 = { shape: [1, 8], data: Float32Array.from([1, 2, 3, 4, 4, 3, 2, 1]) };
    const sq = Float64Array.from([16, 1, 1, 1, 1, 1, 1, 16]); // ‖X‖ = [4,1,1,1,1,1,1,4]
    const mask = pruneLayer({ base: 'wanda', name: 'w', weight: w8, stats: { sqNorm: sq, gram: null, tokens: 1 }, windows: 1, target: { sparsity: 0 }, pattern: parsePattern('2:4') }).mask;
    // scores [4,2,3,4 | 4,3,2,4]: group 0 drops cols 1, 2; group 1 drops cols 5, 6. Magnitude would drop 0,1 and 6,7.
    expect(Array.from(mask)).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('int(d_in·s) zeros per row: d_in = 4, s = 0.6 → 2 zeros (floor of 2.4), the 2 lowest scores', () => {
    const mask = pruneLayer({ base: 'wanda', name: 'w', weight: W, stats, windows: WINDOWS, target: { sparsity: 0.6 }, pattern: null }).mask;
    expect(Array.from(mask)).toEqual(expected);
  });
});

describe('Wanda uses each layer’s own activations (every linear of a block)', () => {
  it('pruneBlockWith: each of the 7 linears gets the mask of its own |W|·‖X_j‖, which differs from magnitude', () => {
    const spec = chainSpec(1, 3);
    const r = rng(9);
    const names = blockLinearNames(spec, 0);
    expect(names.length).toBe(7);
    const inputs = new Map<string, LinearInputStats>();
    for (const name of names) {
      const cols = getWeight(spec, name).shape[1];
      inputs.set(name, { sqNorm: Float64Array.from({ length: cols }, () => Math.exp(6 * r())), gram: null, tokens: 10 });
    }
    const edit = pruneBlockWith('wanda', spec, 0, inputs, 2, 0.5, null);
    for (const name of names) {
      const w = getWeight(spec, name);
      const [rows, cols] = w.shape;
      const sq = inputs.get(name)!.sqNorm;
      const expected = rowRule(Array.from(w.data, (v, i) => Math.abs(v) * Math.sqrt(sq[i % cols] / 2)), rows, cols, Math.floor(cols * 0.5));
      expect(Array.from(edit.masks[name]), name).toEqual(expected);
      expect(rowRule(Array.from(w.data, Math.abs), rows, cols, Math.floor(cols * 0.5)), name).not.toEqual(expected);
    }
  });

  it('wanda.run: block 0 masks come from the embedding activations, computed by hand', async () => {
    const spec = chainSpec(2, 4);
    const windows = chainWindows(3, 5);
    const plan = await wanda.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 0.5 });
    const x = chainEmbed(spec, windows);
    const block0 = chainBlock(spec, 0, x);
    const names = blockLinearNames(spec, 0);
    expect(names.length).toBe(7);
    for (const name of names) {
      const w = getWeight(spec, name);
      const [rows, cols] = w.shape;
      const sq = sqNormOf(block0.inputs.get(name)!);
      const expected = rowRule(Array.from(w.data, (v, i) => Math.abs(v) * Math.sqrt(sq[i % cols] / windows.length)), rows, cols, Math.floor(cols / 2));
      expect(Array.from(plan.masks[name]), name).toEqual(expected);
    }
  });
});
