// SparseGPT solver on synthetic layers (check 6): OBS update beats plain zeroing for the same mask,
// H = I reduces to magnitude selection within 128-column blocks, dead inputs, N:M, Cholesky.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/pruning/calibration-data';
import { countZeros, parsePattern } from '../../../src/pruning/row-wise/masks';
import { choleskyLower, hessianFromGram, inverseUpperCholesky, sparseGptPrune } from '../../../src/pruning/row-wise/sparsegpt-solver';
import { thrown } from '../helpers/errors';

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

/** Uniform weights in [−1, 1). */
const uniformWeights = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

describe('SparseGPT solver details', () => {
  const rows = 6, cols = 8;
  const gramOf = (seed: number) => {
    const r = mulberry32(seed);
    const x = Array.from({ length: 40 }, () => Float64Array.from({ length: cols }, () => r() * 2 - 1 + (r() < 0.2 ? 2 : 0)));
    const g = new Float64Array(cols * cols);
    for (const v of x) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) g[i * cols + j] += v[i] * v[j];
    return g;
  };
  const w = uniformWeights(rows * cols, 9);

  it('Cholesky: a zero pivot is not positive definite; the default name is "matrix"', () => {
    const e = thrown(() => choleskyLower(new Float64Array([1, 1, 1, 1]), 2));
    expect(e.code).toBe('internal');
    expect(e.message).toBe('matrix: Hessian is not positive definite after dampening (pivot 1)');
  });
  it('a dead input is solved as if its Hessian diagonal were 1 and its weights 0', () => {
    const g = gramOf(2);
    for (let i = 0; i < cols; i++) g[5 * cols + i] = g[i * cols + 5] = 0;
    const fixed = Float64Array.from(g);
    fixed[5 * cols + 5] = 1;
    const w0 = Float32Array.from(w, (v, i) => (i % cols === 5 ? 0 : v));
    for (const pattern of [null, { zeros: 2, group: 4 }]) {
      const a = sparseGptPrune(w, rows, cols, g, { sparsity: 0.5, pattern });
      const b = sparseGptPrune(w0, rows, cols, fixed, { sparsity: 0.5, pattern });
      expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
      expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
    }
  });
  it('sparsity 0 unstructured prunes nothing; sparsity 1 prunes everything', () => {
    const g = gramOf(3);
    expect(countZeros(sparseGptPrune(w, rows, cols, g, { sparsity: 0, pattern: null }).mask)).toBe(0);
    const all = sparseGptPrune(w, rows, cols, g, { sparsity: 1, pattern: null });
    expect(countZeros(all.mask)).toBe(rows * cols);
    expect(all.weights.every((v) => v === 0)).toBe(true);
  });
  it('N:M ignores the unstructured sparsity: exactly N of every M, even with sparsity 0.5 given', () => {
    const r = sparseGptPrune(w, rows, cols, gramOf(4), { sparsity: 0.5, pattern: { zeros: 1, group: 4 } });
    for (let row = 0; row < rows; row++)
      for (let g = 0; g < cols; g += 4) expect(countZeros(r.mask.subarray(row * cols + g, row * cols + g + 4))).toBe(1);
  });
  it('N:M ties go to the lower index (H = I, equal magnitudes)', () => {
    const identity = new Float64Array(16);
    for (let j = 0; j < 4; j++) identity[j * 4 + j] = 1;
    const r = sparseGptPrune(new Float32Array([1, -1, 1, -1]), 1, 4, identity, { sparsity: 0, pattern: { zeros: 2, group: 4 } });
    expect(Array.from(r.mask)).toEqual([0, 0, 1, 1]);
  });
  it('under N:M every row is solved on its own, also with more rows than inputs', () => {
    const n = 4, many = 9;
    const r = mulberry32(6);
    const x = Array.from({ length: 30 }, () => Float64Array.from({ length: n }, () => r() * 2 - 1));
    const gram = new Float64Array(n * n);
    for (const v of x) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gram[i * n + j] += v[i] * v[j];
    const weights = uniformWeights(many * n, 7);
    const p = { zeros: 2, group: 4 };
    const whole = sparseGptPrune(weights, many, n, gram, { sparsity: 0.5, pattern: p, blockSize: 2 });
    for (let row = 0; row < many; row++) {
      const alone = sparseGptPrune(weights.slice(row * n, (row + 1) * n), 1, n, gram, { sparsity: 0.5, pattern: p, blockSize: 2 });
      expect(Array.from(whole.weights.subarray(row * n, (row + 1) * n)), `row ${row}`).toEqual(Array.from(alone.weights));
    }
  });
  it('hessianFromGram: H = (2 / max(1, tokens))·gram', () => {
    expect(Array.from(hessianFromGram(new Float64Array([4, 2, 2, 8]), 4))).toEqual([2, 1, 1, 4]);
    expect(Array.from(hessianFromGram(new Float64Array([4, 2]), 0))).toEqual([8, 4]);
  });
});
