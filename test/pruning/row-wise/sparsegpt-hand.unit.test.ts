// SparseGPT by hand (methods.md §2.3) on 2×4 and 3×4 layers with a NON-identity Hessian, expected
// values computed here in float64 from the OBS formulas with explicit matrix inverses — no Cholesky:
//   H = (2/n)·G + 0.01·mean(diag)·I;  saliency of w_rj = w_rj² / [(H_FF)⁻¹]_00 with F = {j, …, d−1};
//   pruning column j of row r (columns < j fixed): w_F ← w_F − (w_rj / [(H_FF)⁻¹]_00)·(H_FF)⁻¹[0, :].
import { describe, expect, it } from 'vitest';
import { pruneLayer } from '../../../src/pruning/row-wise/layer-pruners';
import { sparseGptPrune } from '../../../src/pruning/row-wise/sparsegpt-solver';

/** Gauss–Jordan inverse of an n×n matrix, float64. */
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Gram Σ x xᵀ of token rows. */
function gramOf(x: number[][]): number[][] {
  const d = x[0].length;
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[i] * r[j], 0)));
}

function dampedHessian(gram: number[][], tokens: number): number[][] {
  const h = gram.map((row) => row.map((v) => (2 / tokens) * v));
  const damp = (0.01 * h.reduce((s, row, i) => s + row[i], 0)) / h.length;
  return h.map((row, i) => row.map((v, j) => v + (i === j ? damp : 0)));
}

/** [(H_FF)⁻¹] with F = {j..d−1}. */
const tailInverse = (h: number[][], j: number) => inverse(h.slice(j).map((row) => row.slice(j)));

/** Sequential OBS over the columns, given which entries are pruned. */
function obsReconstruct(w: number[][], h: number[][], pruned: boolean[][]): number[][] {
  const d = h.length;
  return w.map((row0, r) => {
    const row = [...row0];
    for (let j = 0; j < d; j++) {
      if (!pruned[r][j]) continue;
      const inv = tailInverse(h, j);
      const e = row[j] / inv[0][0];
      for (let t = 0; t < d - j; t++) row[j + t] -= e * inv[0][t];
      row[j] = 0;
    }
    return row;
  });
}

// Inputs X [6 tokens, 4 channels] with strongly correlated channels 0/1 and 2/3.
const X = [
  [1, 0.9, 0.2, -0.1],
  [-0.5, -0.6, 1, 1.1],
  [2, 1.8, -0.3, -0.2],
  [0.1, 0.2, -1.2, -1],
  [-1, -1.1, 0.5, 0.7],
  [0.3, 0.1, 2, 1.7],
];
const G = gramOf(X);
const H = dampedHessian(G, X.length);
const gramF64 = Float64Array.from(G.flat());
const W = [
  [0.9, -0.5, 1.2, 0.3],
  [-0.45, 1.5, 0.6, -1.1],
];
const flat = (m: number[][]) => Float32Array.from(m.flat());

describe('SparseGPT OBS by hand (2×4, non-identity Hessian)', () => {
  const saliency = W.map((row) => row.map((v, j) => (v * v) / tailInverse(H, j)[0][0]));

  it('one weight pruned (s = 0.1 → int(8·0.1) = 0 → only the minimum saliency): mask and OBS update match', () => {
    const all = saliency.flat();
    const min = all.indexOf(Math.min(...all));
    const [r0, c0] = [Math.floor(min / 4), min % 4];
    // The Hessian changes the choice: magnitude would prune |0.3| (row 0, col 3); OBS prunes
    // |−0.45| (row 1, col 0), whose channel is nearly a copy of channel 1 ([(H_FF)⁻¹]_00 ≈ 19.8).
    expect([r0, c0]).toEqual([1, 0]);
    expect(W.flat().map(Math.abs).indexOf(Math.min(...W.flat().map(Math.abs)))).toBe(3);
    const pruned = W.map((row, r) => row.map((_, j) => r === r0 && j === c0));
    const expected = obsReconstruct(W, H, pruned);
    const result = pruneLayer({ base: 'sparsegpt', name: 'w', weight: { shape: [2, 4], data: flat(W) }, stats: { sqNorm: new Float64Array(4), gram: gramF64, tokens: X.length }, windows: 1, target: { sparsity: 0.1 }, pattern: null });
    expect(Array.from(result.mask)).toEqual(pruned.flat().map((p) => (p ? 0 : 1)));
    const got = Array.from(result.update!);
    expected.flat().forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });

  it('one middle-column entry pruned: OBS = least-squares re-fit of the columns right of it; columns left never move', () => {
    // Closed form for one pruned entry (r, c): the error e = w − ŵ has e_c = w_rc, and over
    // R = {c+1..d−1} minimising eᵀHe gives e_R = −(H_RR)⁻¹ H_Rc w_rc.
    const c = 1;
    const R = [2, 3];
    const hrr = inverse(R.map((i) => R.map((j) => H[i][j])));
    const rhs = R.map((i) => H[i][c] * W[1][c]);
    const delta = hrr.map((row) => -row.reduce((s, v, t) => s + v * rhs[t], 0));
    const lsq = [W[1][0], 0, W[1][2] - delta[0], W[1][3] - delta[1]]; // ŵ_R = w_R − δ_R
    const pruned = [[false, false, false, false], [false, true, false, false]];
    const obs = obsReconstruct(W, H, pruned)[1];
    lsq.forEach((v, i) => expect(obs[i]).toBeCloseTo(v, 12)); // the two formulas agree
    // The solver on a 1×4 row whose smallest saliency is column 1 (s = 0.2 → one entry pruned).
    const row = [[2.0, 0.05, -0.8, 0.6]];
    const sal = row[0].map((v, j) => (v * v) / tailInverse(H, j)[0][0]);
    expect(sal.indexOf(Math.min(...sal))).toBe(1);
    const only = obsReconstruct(row, H, [[false, true, false, false]])[0];
    const got = sparseGptPrune(flat(row), 1, 4, Float64Array.from(G.flat().map((v) => (2 / X.length) * v)), { sparsity: 0.2, pattern: null });
    expect(Array.from(got.mask)).toEqual([1, 0, 1, 1]);
    only.forEach((v, i) => expect(got.weights[i]).toBeCloseTo(v, 5));
    expect(got.weights[0]).toBe(Math.fround(2.0)); // columns left of the pruned one never move
    expect(Math.abs(got.weights[2] - row[0][2])).toBeGreaterThan(1e-3); // the update is not skipped
  });

  it('s = 0.25 (3 of 8 pruned: ≤ sorted[int(8·0.25)]), blockSize 2: lazy batch updates give the same OBS result', () => {
    const sorted = saliency.flat().sort((a, b) => a - b);
    const threshold = sorted[2];
    const full = pruneLayer({ base: 'sparsegpt', name: 'w', weight: { shape: [2, 4], data: flat(W) }, stats: { sqNorm: new Float64Array(4), gram: gramF64, tokens: X.length }, windows: 1, target: { sparsity: 0.25 }, pattern: null });
    const pruned = saliency.map((row) => row.map((v) => v <= threshold));
    expect(pruned.flat().filter(Boolean).length).toBe(3);
    expect(Array.from(full.mask)).toEqual(pruned.flat().map((p) => (p ? 0 : 1)));
    const expected = obsReconstruct(W, H, pruned).flat();
    expected.forEach((v, i) => expect(full.update![i]).toBeCloseTo(v, 5));
    // blockSize 2: the mask of columns 2..3 is chosen on updated weights; recompute that by hand.
    const blocked = sparseGptPrune(flat(W), 2, 4, Float64Array.from(H.flat()), { sparsity: 0.5, pattern: null, blockSize: 2, percDamp: 0 });
    const first = W.map((row) => row.slice(0, 2).map((v, j) => (v * v) / tailInverse(H, j)[0][0]));
    const t1 = first.flat().sort((a, b) => a - b)[2];
    const p1 = W.map((row, r) => [first[r][0] <= t1, first[r][1] <= t1, false, false]);
    const mid = obsReconstruct(W, H, p1);
    const second = mid.map((row) => row.slice(2).map((v, j) => (v * v) / tailInverse(H, 2 + j)[0][0]));
    const t2 = second.flat().sort((a, b) => a - b)[2];
    const p2 = p1.map((row, r) => [row[0], row[1], second[r][0] <= t2, second[r][1] <= t2]);
    const want = obsReconstruct(W, H, p2).flat();
    expect(Array.from(blocked.mask)).toEqual(p2.flat().map((p) => (p ? 0 : 1)));
    want.forEach((v, i) => expect(blocked.weights[i]).toBeCloseTo(v, 5));
  });
});

describe('SparseGPT 3×4 with 2:4 by hand', () => {
  it('N:M chooses the 2 lowest w²/[(H_FF)⁻¹]_00 per row (group at column 0), then the OBS update', () => {
    const W3 = [
      [0.9, -0.5, 1.2, 0.45],
      [-0.3, 1.5, 0.6, -1.1],
      [0.7, 0.65, -0.2, 0.3],
    ];
    const pruned = W3.map((row) => {
      const sal = row.map((v, j) => (v * v) / tailInverse(H, j)[0][0]);
      const order = [0, 1, 2, 3].sort((a, b) => sal[a] - sal[b] || a - b);
      return row.map((_, j) => order.indexOf(j) < 2);
    });
    const want = obsReconstruct(W3, H, pruned).flat();
    const got = sparseGptPrune(flat(W3), 3, 4, Float64Array.from(G.flat().map((v) => (2 / X.length) * v)), { sparsity: 0, pattern: { zeros: 2, group: 4 } });
    expect(Array.from(got.mask)).toEqual(pruned.flat().map((p) => (p ? 0 : 1)));
    want.forEach((v, i) => expect(got.weights[i]).toBeCloseTo(v, 5));
  });
});
