// SparseGPT solver on synthetic layers (check 6): OBS update beats plain zeroing for the same mask,
// H = I reduces to magnitude selection within 128-column blocks, dead inputs, N:M, Cholesky.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/pruning/calibration-data';
import { countZeros, parsePattern } from '../../../src/pruning/row-wise/masks';
import { choleskyLower, inverseUpperCholesky, sparseGptPrune } from '../../../src/pruning/row-wise/sparsegpt-solver';

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Correlated inputs X [tokens, cols] and their Gram Σ x xᵀ. */
function correlatedGram(cols: number, tokens: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  const mix = Float64Array.from({ length: cols * cols }, () => gaussian(r) / Math.sqrt(cols));
  const gram = new Float64Array(cols * cols);
  const z = new Float64Array(cols);
  const x = new Float64Array(cols);
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < cols; j++) z[j] = gaussian(r);
    for (let i = 0; i < cols; i++) {
      let s = z[i];
      for (let j = 0; j < cols; j++) s += mix[i * cols + j] * z[j];
      x[i] = s * (1 + (i % 7)); // uneven channel scales, like real activations
    }
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) gram[i * cols + j] += x[i] * x[j];
  }
  return gram;
}

/** ‖(W − Ŵ) X‖² = Σ_rows δ G δᵀ. */
function reconstructionError(w: Float32Array, hat: Float32Array, gram: Float64Array, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const d = Float64Array.from({ length: cols }, (_, j) => w[r * cols + j] - hat[r * cols + j]);
    for (let i = 0; i < cols; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += gram[i * cols + j] * d[j];
      total += d[i] * s;
    }
  }
  return total;
}

const randomWeights = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => gaussian(r));
};

describe('sparseGptPrune', () => {
  const rows = 12, cols = 160;
  const gram = correlatedGram(cols, 600, 7);
  const w = randomWeights(rows * cols, 8);

  it.each(['unstructured', '2:4'])('%s: reconstruction error after the OBS update ≤ zeroing the same mask', (pattern) => {
    const result = sparseGptPrune(w, rows, cols, gram, { sparsity: 0.5, pattern: parsePattern(pattern) });
    const zeroed = w.map((v, i) => (result.mask[i] ? v : 0));
    const obs = reconstructionError(w, result.weights, gram, rows, cols);
    const plain = reconstructionError(w, zeroed, gram, rows, cols);
    expect(obs).toBeLessThan(plain);
    expect(obs).toBeLessThan(0.8 * plain);
    expect(result.mask.length).toBe(rows * cols);
    result.mask.forEach((m, i) => m === 0 && expect(result.weights[i]).toBe(0));
  });

  it('H = I: plain magnitude selection within each 128-column block, kept weights unchanged', () => {
    const identity = new Float64Array(cols * cols);
    for (let j = 0; j < cols; j++) identity[j * cols + j] = 1;
    const s = 0.4;
    const result = sparseGptPrune(w, rows, cols, identity, { sparsity: s, pattern: null });
    for (const [c0, c1] of [[0, 128], [128, cols]]) {
      const block: number[] = [];
      for (let r = 0; r < rows; r++) for (let j = c0; j < c1; j++) block.push(w[r * cols + j] ** 2);
      const threshold = [...block].sort((a, b) => a - b)[Math.floor(block.length * s)];
      for (let r = 0; r < rows; r++)
        for (let j = c0; j < c1; j++) expect(result.mask[r * cols + j]).toBe(w[r * cols + j] ** 2 <= threshold ? 0 : 1);
    }
    expect(result.mask.length).toBe(rows * cols);
    result.mask.forEach((m, i) => m && expect(result.weights[i]).toBeCloseTo(w[i], 6));
  });

  it('2:4 groups have exactly 2 zeros; dead input columns are zeroed', () => {
    const g = Float64Array.from(gram);
    for (let i = 0; i < cols; i++) { g[3 * cols + i] = 0; g[i * cols + 3] = 0; }
    const result = sparseGptPrune(w, rows, cols, g, { sparsity: 0, pattern: parsePattern('2:4') });
    expect(countZeros(result.mask)).toBe((rows * cols) / 2);
    for (let r = 0; r < rows; r++) expect(result.weights[r * cols + 3]).toBe(0);
  });

  it('upper Cholesky of H⁻¹ satisfies UᵀU·H = I', () => {
    const n = 6;
    const h = correlatedGram(n, 50, 3);
    const u = inverseUpperCholesky(h, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) {
          let hinv = 0;
          for (let t = 0; t < n; t++) hinv += u[t * n + i] * u[t * n + k];
          s += hinv * h[k * n + j];
        }
        expect(s).toBeCloseTo(i === j ? 1 : 0, 8);
      }
    expect(() => choleskyLower(new Float64Array([1, 2, 2, 1]), 2, 'layer X')).toThrow(/layer X: Hessian is not positive definite/);
  });
});
