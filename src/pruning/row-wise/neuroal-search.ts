// NeuroAL's neuron-alignment objective (methods.md §3.2) and the row-step target map (§3.4):
// one sequential pass that prunes each block at a candidate distribution, measures dense vs sparse
// input-activation norms of every linear, and restores the block. No runtime import.

import { throwIfCancelled } from '../../errors';
import { blockLinearNames, getWeight, gpt2Names, llamaNames, type ModelSpec } from '../../model/model-spec';
import { editWeights } from '../apply-plan';
import type { CalibrationRunner, HiddenStates, LinearInputStats } from '../calibration';
import type { BlockEdit } from '../sequential';
import { neuroalRowSparsities } from './allocation';
import { pruneLayer, type BaseMethod, type LayerTarget } from './layer-pruners';

export interface AlignmentPass {
  /** Σ over every linear of every block of ‖â_dense − â_sparse‖₂ / d_in (â = a / Σa). */
  objective: number;
  /** Signed a_dense − a_sparse per input channel, by weight name. */
  alignment: Map<string, Float64Array>;
}

export type TargetFor = (block: number, name: string, rows: number) => LayerTarget;

function activationNorm(stats: LinearInputStats | undefined, name: string, windows: number): Float64Array {
  if (!stats) throw new Error(`calibration runner returned no statistics for ${name}`);
  return Float64Array.from(stats.sqNorm, (v) => Math.sqrt(v / Math.max(1, windows)));
}

function normalised(a: Float64Array): Float64Array {
  let sum = 0;
  for (const v of a) sum += v;
  return sum === 0 ? new Float64Array(a.length) : a.map((v) => v / sum);
}

/** Prunes block `block` of the dense `spec` at the targets (magnitude compares within rows here). */
export function neuroalBlockEdit(spec: ModelSpec, block: number, base: BaseMethod, inputs: Map<string, LinearInputStats>, windows: number, targetFor: TargetFor): BlockEdit {
  const edit: BlockEdit = { masks: {}, updates: {} };
  for (const name of blockLinearNames(spec, block)) {
    const weight = getWeight(spec, name);
    const r = pruneLayer({ base, name, weight, stats: inputs.get(name), windows, target: targetFor(block, name, weight.shape[0]), pattern: null, magnitudeGroup: 'row' });
    edit.masks[name] = r.mask;
    if (r.update) edit.updates[name] = r.update;
  }
  return edit;
}

export async function alignmentPass(
  runner: CalibrationRunner,
  spec: ModelSpec,
  embedded: HiddenStates,
  windows: number,
  base: BaseMethod,
  targetFor: TargetFor,
  signal?: AbortSignal,
): Promise<AlignmentPass> {
  let hidden = embedded;
  let objective = 0;
  const alignment = new Map<string, Float64Array>();
  for (let block = 0; block < spec.layers.length; block++) {
    throwIfCancelled(signal);
    const dense = await runner.runBlock(spec, block, hidden, base === 'sparsegpt' ? 'gram' : 'norms');
    const edit = neuroalBlockEdit(spec, block, base, dense.inputs, windows, targetFor);
    // The pruned copy is used for this block only: the search never keeps pruned weights.
    const sparse = await runner.runBlock(editWeights(spec, edit.masks, edit.updates), block, hidden, 'norms');
    hidden = sparse.output;
    for (const name of blockLinearNames(spec, block)) {
      const aDense = activationNorm(dense.inputs.get(name), name, windows);
      const aSparse = activationNorm(sparse.inputs.get(name), name, windows);
      const nd = normalised(aDense);
      const ns = normalised(aSparse);
      let sq = 0;
      for (let j = 0; j < nd.length; j++) sq += (nd[j] - ns[j]) ** 2;
      objective += Math.sqrt(sq) / aDense.length;
      alignment.set(name, aDense.map((v, j) => v - aSparse[j]));
    }
  }
  return { objective, alignment };
}

/**
 * The layer whose INPUT alignment each layer's output rows take (§3.4): q,k,v ← o; o ← gate (GPT-2:
 * fc); gate,up ← down; down (GPT-2: proj) ← next block's q. null for the last block.
 */
export function alignmentSource(spec: ModelSpec, block: number, name: string): string | null {
  const last = block === spec.layers.length - 1;
  if (spec.family === 'llama') {
    const n = llamaNames;
    if (last) return null;
    if (name === n.q(block) || name === n.k(block) || name === n.v(block)) return n.o(block);
    if (name === n.o(block)) return n.gate(block);
    if (name === n.gate(block) || name === n.up(block)) return n.down(block);
    if (name === n.down(block)) return n.q(block + 1);
    return null;
  }
  const n = gpt2Names;
  if (last) return null;
  if (name === n.q(block) || name === n.k(block) || name === n.v(block)) return n.o(block);
  if (name === n.o(block)) return n.fc(block);
  if (name === n.fc(block)) return n.proj(block);
  if (name === n.proj(block)) return n.q(block + 1);
  return null;
}

/**
 * Per-row sparsities for every linear at row-step λ. Layers keep their block value when they are in
 * the last block, when the source alignment does not match their row count (GQA k/v), or when the
 * alignment sums to 0.
 */
export function rowStepTargets(spec: ModelSpec, blockSparsity: number[], alignment: Map<string, Float64Array>, lambda: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let block = 0; block < spec.layers.length; block++) {
    const s = blockSparsity[block];
    for (const name of blockLinearNames(spec, block)) {
      const rows = getWeight(spec, name).shape[0];
      const source = alignmentSource(spec, block, name);
      const a = source ? alignment.get(source) : undefined;
      const rowSparsity = a && a.length === rows ? neuroalRowSparsities(a, s, lambda) : null;
      out.set(name, rowSparsity ?? Array.from({ length: rows }, () => s));
    }
  }
  return out;
}
