// SparseGPT's per-layer solver (OBS mask selection + weight reconstruction) in float64 on the CPU,
// following IST-DASLab/sparsegpt `fasterprune`: dead inputs, 1% dampening, upper Cholesky of H⁻¹,
// 128-column blocks with lazy batch updates. Pure; imports nothing from the runtime.

import { LabError } from '../../errors';
import type { NMPattern } from './masks';

export interface SparseGptOptions {
  sparsity: number;
  pattern: NMPattern | null;
  blockSize?: number;
  percDamp?: number;
  /** For error messages. */
  name?: string;
}

export interface SparseGptResult {
  /** Reconstructed weights, pruned entries exactly 0, [rows, cols]. */
  weights: Float32Array;
  /** 1 = keep, 0 = pruned by the solver (dead input columns are zeroed in `weights` only). */
  mask: Uint8Array;
}

/** Lower Cholesky factor of a symmetric positive-definite n×n matrix (row-major), in place copy. */
export function choleskyLower(a: Float64Array, n: number, name = 'matrix'): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new LabError('internal', `${name}: Hessian is not positive definite after dampening (pivot ${i})`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

/** Upper factor U of H⁻¹ = UᵀU, as torch: cholesky(H) → cholesky_inverse → cholesky(upper). */
export function inverseUpperCholesky(h: Float64Array, n: number, name?: string): Float64Array {
  const l = choleskyLower(h, n, name);
  // Linv = L⁻¹ (lower triangular), by forward substitution column by column.
  const linv = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    linv[c * n + c] = 1 / l[c * n + c];
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let k = c; k < i; k++) s += l[i * n + k] * linv[k * n + c];
      linv[i * n + c] = -s / l[i * n + i];
    }
  }
  // H⁻¹ = Linvᵀ Linv.
  const hinv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += linv[k * n + i] * linv[k * n + j];
      hinv[i * n + j] = s;
      hinv[j * n + i] = s;
    }
  }
  // Upper U with H⁻¹ = UᵀU is the transpose of the lower factor of H⁻¹.
  const lower = choleskyLower(hinv, n, name);
  const upper = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) upper[j * n + i] = lower[i * n + j];
  return upper;
}

/**
 * Prunes W [rows, cols] given H = (2/tokens)·Σ x xᵀ [cols, cols] (any positive scale gives the same
 * result). H is copied, not modified.
 */
export function sparseGptPrune(weight: Float32Array, rows: number, cols: number, hessian: Float64Array, options: SparseGptOptions): SparseGptResult {
  const blockSize = options.blockSize ?? 128;
  const percDamp = options.percDamp ?? 0.01;
  const { sparsity, pattern } = options;
  const w = Float64Array.from(weight);
  const h = Float64Array.from(hessian);
  // Dead inputs: never active in calibration, so their weights cannot matter there; zero them.
  for (let j = 0; j < cols; j++) {
    if (h[j * cols + j] === 0) {
      h[j * cols + j] = 1;
      for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
    }
  }
  let meanDiag = 0;
  for (let j = 0; j < cols; j++) meanDiag += h[j * cols + j];
  const damp = (percDamp * meanDiag) / cols;
  for (let j = 0; j < cols; j++) h[j * cols + j] += damp;
  const hinv = inverseUpperCholesky(h, cols, options.name);

  const pruned = new Uint8Array(rows * cols); // 1 = pruned
  for (let i1 = 0; i1 < cols; i1 += blockSize) {
    const i2 = Math.min(i1 + blockSize, cols);
    const count = i2 - i1;
    const err = new Float64Array(rows * count); // Err1[r, i]
    const score = (r: number, j: number) => {
      const d = hinv[j * cols + j];
      const v = w[r * cols + j];
      return (v * v) / (d * d);
    };
    if (!pattern && sparsity > 0) {
      // Adaptive mask selection: one threshold over the whole rows×count block.
      const tmp = new Float64Array(rows * count);
      for (let r = 0; r < rows; r++) for (let i = 0; i < count; i++) tmp[r * count + i] = score(r, i1 + i);
      const sorted = Float64Array.from(tmp).sort();
      const k = Math.floor(tmp.length * sparsity);
      const threshold = k >= tmp.length ? Infinity : sorted[k];
      for (let r = 0; r < rows; r++) for (let i = 0; i < count; i++) if (tmp[r * count + i] <= threshold) pruned[r * cols + i1 + i] = 1;
    }
    for (let i = 0; i < count; i++) {
      const col = i1 + i;
      if (pattern && i % pattern.group === 0) {
        // N:M: choose on the current (already updated) weights of the next M columns.
        for (let r = 0; r < rows; r++) {
          const idx = Array.from({ length: Math.min(pattern.group, cols - col) }, (_, t) => t);
          idx.sort((a, b) => score(r, col + a) - score(r, col + b) || a - b);
          for (let t = 0; t < pattern.zeros && t < idx.length; t++) pruned[r * cols + col + idx[t]] = 1;
        }
      }
      const d = hinv[col * cols + col];
      for (let r = 0; r < rows; r++) {
        const value = w[r * cols + col];
        const q = pruned[r * cols + col] ? 0 : value;
        const e = (value - q) / d;
        err[r * count + i] = e;
        w[r * cols + col] = q;
        if (e !== 0) for (let j = col + 1; j < i2; j++) w[r * cols + j] -= e * hinv[col * cols + j];
      }
    }
    // Lazy batch update of the columns right of the block.
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < count; i++) {
        const e = err[r * count + i];
        if (e === 0) continue;
        const hrow = (i1 + i) * cols;
        for (let j = i2; j < cols; j++) w[r * cols + j] -= e * hinv[hrow + j];
      }
    }
  }
  const mask = new Uint8Array(rows * cols);
  const out = new Float32Array(rows * cols);
  for (let t = 0; t < out.length; t++) {
    mask[t] = pruned[t] ? 0 : 1;
    out[t] = pruned[t] ? 0 : w[t];
  }
  return { weights: out, mask };
}

/** H = (2/tokens)·gram, the SparseGPT Hessian from summed input outer products. */
export function hessianFromGram(gram: Float64Array, tokens: number): Float64Array {
  const scale = 2 / Math.max(1, tokens);
  return gram.map((v) => v * scale);
}
