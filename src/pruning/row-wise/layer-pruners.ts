// One linear layer → mask (and SparseGPT's reconstructed weights) for the base scorers: magnitude
// |W|, Wanda |W|·‖X_j‖, SparseGPT OBS. Shared by magnitude/wanda/sparsegpt/OWL/NeuroAL. Pure.

import { LabError } from '../../errors';
import type { WeightTensor } from '../../model/model-spec';
import type { LinearInputStats } from '../calibration';
import { checkNMShape, nmMask, perMatrixMask, perRowMask, rowZeros, uniformRowZeros, type NMPattern, type RowRounding } from './masks';
import { hessianFromGram, sparseGptPrune } from './sparsegpt-solver';

export type BaseMethod = 'magnitude' | 'wanda' | 'sparsegpt';

/**
 * What one layer should reach: one sparsity, or one per output row (NeuroAL 'neuron' mode) with the
 * rounding of the row targets to integer zero counts (default 'cumulative').
 */
export type LayerTarget = { sparsity: number } | { rowSparsity: ArrayLike<number>; rounding?: RowRounding };

export interface LayerPruneInput {
  base: BaseMethod;
  name: string;
  weight: WeightTensor;
  /** Input statistics (Wanda: sqNorm; SparseGPT: gram); unused by magnitude. */
  stats?: LinearInputStats;
  /** Calibration windows the stats were summed over (Wanda's scaler_row is a mean over samples). */
  windows: number;
  target: LayerTarget;
  pattern: NMPattern | null;
  /** Magnitude comparison group: 'matrix' (wanda/sparsegpt repos) or 'row' (NeuroAL repo). */
  magnitudeGroup?: 'matrix' | 'row';
}

export interface LayerPruneResult {
  mask: Uint8Array;
  /** New weights (SparseGPT only), already masked. */
  update?: Float32Array;
}

export function magnitudeScores(weight: WeightTensor): Float32Array {
  return weight.data.map(Math.abs);
}

/** S_ij = |W_ij|·sqrt(scaler_row_j), scaler_row = Σ_t x_tj² / windows (wanda layerwrapper). */
export function wandaScores(weight: WeightTensor, sqNorm: ArrayLike<number>, windows: number): Float64Array {
  const [rows, cols] = weight.shape;
  if (sqNorm.length !== cols) throw new LabError('internal', `activation norms have ${sqNorm.length} channels, weight has ${cols} inputs`);
  const norm = Float64Array.from(sqNorm, (v) => Math.sqrt(v / Math.max(1, windows)));
  const out = new Float64Array(rows * cols);
  const data = weight.data; // read once: stored weights decode on each access
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = Math.abs(data[r * cols + j]) * norm[j];
  return out;
}

function needStats(input: LayerPruneInput): LinearInputStats {
  if (!input.stats) throw new LabError('internal', `${input.name}: ${input.base} needs input statistics from the calibration runner`);
  return input.stats;
}

export function pruneLayer(input: LayerPruneInput): LayerPruneResult {
  const { weight, target, pattern, name } = input;
  const [rows, cols] = weight.shape;
  if (pattern) checkNMShape(name, cols, pattern);
  if (input.base === 'sparsegpt') {
    const stats = needStats(input);
    if (!stats.gram) throw new LabError('internal', `${name}: SparseGPT needs the input Gram matrix`);
    if (!('sparsity' in target)) throw new LabError('internal', `${name}: SparseGPT takes one sparsity per layer, not per row`);
    const result = sparseGptPrune(weight.data, rows, cols, hessianFromGram(stats.gram, stats.tokens), { sparsity: target.sparsity, pattern, name });
    return { mask: result.mask, update: result.weights };
  }
  const scores = input.base === 'wanda' ? wandaScores(weight, needStats(input).sqNorm, input.windows) : magnitudeScores(weight);
  if (pattern) return { mask: nmMask(scores, rows, cols, pattern) };
  if ('rowSparsity' in target) {
    if (target.rowSparsity.length !== rows) throw new LabError('internal', `${name}: ${target.rowSparsity.length} row sparsities for ${rows} rows`);
    return { mask: perRowMask(scores, rows, cols, rowZeros(cols, target.rowSparsity, target.rounding ?? 'cumulative')) };
  }
  if (input.base === 'magnitude' && (input.magnitudeGroup ?? 'matrix') === 'matrix') return { mask: perMatrixMask(scores, target.sparsity) };
  return { mask: perRowMask(scores, rows, cols, uniformRowZeros(rows, cols, target.sparsity)) };
}
