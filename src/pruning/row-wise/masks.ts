// Mask builders shared by the row-wise methods: per-matrix threshold, per-row counts, N:M groups.
// Pure (typed arrays in, Uint8Array mask out: 1 = keep, 0 = zero); imports nothing from the runtime.

import { LabError } from '../../errors';

/** Indices 0..n−1 of `scores[offset..offset+n)` in ascending score order, ties by lower index (stable). */
function ascendingOrder(scores: ArrayLike<number>, offset: number, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let j = 0; j < n; j++) order[j] = j;
  order.sort((a, b) => scores[offset + a] - scores[offset + b] || a - b);
  return order;
}

/**
 * Magnitude-style comparison over the whole matrix (wanda repo `prune_magnitude`): threshold = the
 * ascending-sorted score at index int(numel·s); every score ≤ threshold is zeroed (ties may push
 * the zero fraction above s). s = 0 keeps everything.
 */
export function perMatrixMask(scores: ArrayLike<number>, sparsity: number): Uint8Array {
  const n = scores.length;
  const mask = new Uint8Array(n).fill(1);
  if (sparsity <= 0 || n === 0) return mask;
  const k = Math.floor(n * sparsity);
  if (k >= n) return mask.fill(0);
  const sorted = Float64Array.from(scores).sort();
  const threshold = sorted[k];
  for (let i = 0; i < n; i++) if (scores[i] <= threshold) mask[i] = 0;
  return mask;
}

/**
 * Per-output-row comparison: in row r, zero the `zerosPerRow[r]` lowest scores, ties broken by the
 * lower index — exactly the first k of a stable ascending sort (Wanda: int(d_in·s) for every row;
 * NeuroAL 'neuron' mode: a count per row). A native numeric sort of a copy finds the k-th smallest
 * value; no comparator callback, so a 135M-parameter model's rows take seconds, not minutes.
 */
export function perRowMask(scores: ArrayLike<number>, rows: number, cols: number, zerosPerRow: ArrayLike<number>): Uint8Array {
  const mask = new Uint8Array(rows * cols).fill(1);
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const k = Math.min(cols, Math.max(0, zerosPerRow[r]));
    if (k === 0) continue;
    const offset = r * cols;
    for (let j = 0; j < cols; j++) row[j] = scores[offset + j];
    row.sort();
    const kth = row[k - 1];
    let below = 0;
    for (let j = 0; j < k; j++) if (row[j] < kth) below++;
    // Every score below the k-th value goes; of the scores equal to it, the lowest indices go.
    let tiesLeft = k - below;
    for (let j = 0; j < cols; j++) {
      const v = scores[offset + j];
      if (v < kth) mask[offset + j] = 0;
      else if (v === kth && tiesLeft > 0) {
        mask[offset + j] = 0;
        tiesLeft--;
      }
    }
  }
  return mask;
}

/** Wanda's count: every row gets exactly int(d_in·s) zeros. */
export function uniformRowZeros(rows: number, cols: number, sparsity: number): Int32Array {
  return new Int32Array(rows).fill(Math.floor(cols * sparsity));
}

/**
 * Integer zero counts for per-row target sparsities [lab choice, NeuroAL]: the targets d_in·s_r are
 * rounded cumulatively over the rows, so each row gets floor or ceil of its target and the layer
 * total equals round(Σ targets). Plain int() per row (the code's rounding) would bias the realised
 * sparsity by up to 1/d_in (1.6% at d_in = 64). Equal integer targets give exactly those integers.
 */
export function cumulativeRowZeros(cols: number, rowSparsity: ArrayLike<number>): Int32Array {
  const counts = new Int32Array(rowSparsity.length);
  let cumulative = 0;
  let assigned = 0;
  for (let r = 0; r < rowSparsity.length; r++) {
    cumulative += cols * rowSparsity[r];
    const upTo = Math.round(cumulative + 1e-9);
    counts[r] = Math.min(cols, Math.max(0, upTo - assigned));
    assigned += counts[r];
  }
  return counts;
}

/**
 * Integer zero counts for per-row target sparsities as the official NeuroAL code ('neuron' mode of
 * `compute_mask`): the KEPT count is int((1 − s_r)·d_in) with the density in float32, so row r loses
 * d_in − int((1 − s_r)·d_in) ≈ ceil(d_in·s_r). The realised sparsity can sit up to 1/d_in above the target.
 */
export function officialRowZeros(cols: number, rowSparsity: ArrayLike<number>): Int32Array {
  const counts = new Int32Array(rowSparsity.length);
  for (let r = 0; r < rowSparsity.length; r++) {
    const kept = Math.trunc(Math.fround(Math.fround(1 - rowSparsity[r]) * cols));
    counts[r] = Math.min(cols, Math.max(0, cols - kept));
  }
  return counts;
}

/** How per-row targets become integer zero counts: the NeuroAL code's, or cumulative [lab choice]. */
export type RowRounding = 'official' | 'cumulative';

export function rowZeros(cols: number, rowSparsity: ArrayLike<number>, rounding: RowRounding): Int32Array {
  return rounding === 'official' ? officialRowZeros(cols, rowSparsity) : cumulativeRowZeros(cols, rowSparsity);
}

/** Parsed N:M pattern: `zeros` of every `group` consecutive weights along the input dim. */
export interface NMPattern {
  zeros: number;
  group: number;
}

export function parsePattern(pattern: string): NMPattern | null {
  if (pattern === 'unstructured') return null;
  const m = /^(\d+):(\d+)$/.exec(pattern);
  if (!m) throw new LabError('bad-argument', `pattern must be 'unstructured' or N:M like '2:4', got '${pattern}'`);
  const zeros = Number(m[1]);
  const group = Number(m[2]);
  if (!(zeros >= 1 && zeros < group)) throw new LabError('bad-argument', `pattern ${pattern}: need 1 ≤ N < M`);
  return { zeros, group };
}

export function checkNMShape(name: string, cols: number, p: NMPattern): void {
  if (cols % p.group !== 0) {
    throw new LabError(
      'bad-argument',
      `${name}: ${p.zeros}:${p.group} sparsity needs the input size (${cols}) to be a multiple of ${p.group}`,
      { weight: name, inputSize: cols, group: p.group },
    );
  }
}

/** N:M mask: in every row, every aligned group of M input columns loses its N lowest scores. */
export function nmMask(scores: ArrayLike<number>, rows: number, cols: number, p: NMPattern): Uint8Array {
  const mask = new Uint8Array(rows * cols).fill(1);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols; g += p.group) {
      const order = ascendingOrder(scores, r * cols + g, p.group);
      for (let j = 0; j < p.zeros; j++) mask[r * cols + g + order[j]] = 0;
    }
  }
  return mask;
}

export function countZeros(mask: Uint8Array): number {
  let z = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) z++;
  return z;
}
