// Physical removal of attention head groups and FFN neurons inside blocks (what block movement pruning's
// compile step, and later FLAP / LLM-Pruner, need). An attention group is one K/V head with every query
// head that reads it (GQA: a K/V head can only go with its whole group; MHA: one head). Removing a group
// deletes its rows of q/k/v (and their biases) and its query heads' columns of the output projection; a
// neuron is a row of gate/up (GPT-2: c_fc and its bias) and a column of down (c_proj). A removed unit
// whose output projection slice was zero contributes nothing, so removal equals masking exactly. Pure.

import { LabError } from '../errors';
import { gpt2Names, llamaNames, type LayerSpec, type ModelSpec, type WeightTensor } from '../model/model-spec';

/** What to delete in one block (indices in that block of the spec the removal is applied to). */
export interface StructureRemoval {
  block: number;
  /** K/V head indices; each takes its numHeads / numKvHeads query heads with it. */
  attentionGroups: number[];
  /** FFN intermediate indices. */
  neurons: number[];
}

/** The weight slices of block i: [weight, 'rows' | 'columns' | 'entries', unit] with unit 'q' | 'kv' | 'ffn'. */
function blockSlices(spec: ModelSpec, i: number): { weight: string; along: 'rows' | 'columns' | 'entries'; unit: 'q' | 'kv' | 'ffn' }[] {
  const n = spec.family === 'llama' ? llamaNames : gpt2Names;
  const slices: { weight: string; along: 'rows' | 'columns' | 'entries'; unit: 'q' | 'kv' | 'ffn' }[] = [
    { weight: n.q(i), along: 'rows', unit: 'q' },
    { weight: n.qBias(i), along: 'entries', unit: 'q' },
    { weight: n.k(i), along: 'rows', unit: 'kv' },
    { weight: n.kBias(i), along: 'entries', unit: 'kv' },
    { weight: n.v(i), along: 'rows', unit: 'kv' },
    { weight: n.vBias(i), along: 'entries', unit: 'kv' },
    { weight: n.o(i), along: 'columns', unit: 'q' },
  ];
  if (spec.family === 'llama') {
    const l = llamaNames;
    slices.push({ weight: l.gate(i), along: 'rows', unit: 'ffn' }, { weight: l.up(i), along: 'rows', unit: 'ffn' }, { weight: l.down(i), along: 'columns', unit: 'ffn' });
  } else {
    const g = gpt2Names;
    slices.push({ weight: g.fc(i), along: 'rows', unit: 'ffn' }, { weight: g.fcBias(i), along: 'entries', unit: 'ffn' }, { weight: g.proj(i), along: 'columns', unit: 'ffn' });
  }
  return slices.filter((s) => spec.weights.has(s.weight));
}

/** Rows (or columns, or entries) of a weight kept: `keep` indexes its out (rows/entries) or in (columns) dimension. */
function keepAlong(w: WeightTensor, along: 'rows' | 'columns' | 'entries', keep: number[]): WeightTensor {
  const data = w.data;
  if (along === 'entries') return { shape: [keep.length], data: Float32Array.from(keep, (k) => data[k]) };
  const [rows, cols] = w.shape;
  if (along === 'rows') {
    const values = new Float32Array(keep.length * cols);
    keep.forEach((r, k) => values.set(data.subarray(r * cols, (r + 1) * cols), k * cols));
    return { shape: [keep.length, cols], data: values };
  }
  const values = new Float32Array(rows * keep.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < keep.length; k++) values[r * keep.length + k] = data[r * cols + keep[k]];
  return { shape: [rows, keep.length], data: values };
}

/** Indices 0..count−1 not in `removed`, after checking `removed` names distinct units of `what`. */
function kept(count: number, removed: number[], what: string): number[] {
  const drop = new Set(removed);
  if (drop.size !== removed.length || removed.some((x) => !Number.isInteger(x) || x < 0 || x >= count))
    throw new LabError('bad-argument', `${what}: indices to remove must be distinct integers in [0, ${count - 1}], got ${JSON.stringify(removed)}`);
  if (drop.size >= count) throw new LabError('bad-argument', `${what}: removing all ${count} leaves the block without one; keep at least one`);
  return Array.from({ length: count }, (_, x) => x).filter((x) => !drop.has(x));
}

/** Deletes the attention groups and FFN neurons of each removal; per-layer head and FFN sizes shrink. */
export function removeStructure(spec: ModelSpec, removals: StructureRemoval[]): ModelSpec {
  const weights = new Map(spec.weights);
  const layers: LayerSpec[] = spec.layers.map((l) => ({ ...l }));
  const seen = new Set<number>();
  for (const r of removals) {
    if (!Number.isInteger(r.block) || r.block < 0 || r.block >= spec.layers.length || seen.has(r.block))
      throw new LabError('bad-argument', `structure: block ${r.block} must be a distinct index in [0, ${spec.layers.length - 1}]`);
    seen.add(r.block);
    const layer = layers[r.block];
    const group = layer.numHeads / layer.numKvHeads;
    const hd = layer.headDim;
    const groups = kept(layer.numKvHeads, r.attentionGroups, `block ${r.block} attention groups`);
    const neurons = kept(layer.intermediateSize, r.neurons, `block ${r.block} FFN neurons`);
    const qRows = groups.flatMap((g) => Array.from({ length: group * hd }, (_, j) => g * group * hd + j));
    const kvRows = groups.flatMap((g) => Array.from({ length: hd }, (_, j) => g * hd + j));
    for (const s of blockSlices(spec, r.block)) {
      const keep = s.unit === 'q' ? qRows : s.unit === 'kv' ? kvRows : neurons;
      weights.set(s.weight, keepAlong(weights.get(s.weight)!, s.along, keep));
    }
    layers[r.block] = { ...layer, numHeads: groups.length * group, numKvHeads: groups.length, intermediateSize: neurons.length };
  }
  return { ...spec, layers, weights };
}

/**
 * The masks (1 = keep, per weight, [out, in] row-major) that zero the same units without removing them:
 * the output projection's columns of the removed groups' query heads (and their v rows), the down
 * projection's columns of the removed neurons (and their gate/up rows). Removal equals this masking.
 */
export function structureMasks(spec: ModelSpec, removals: StructureRemoval[]): Record<string, Uint8Array> {
  const masks: Record<string, Uint8Array> = {};
  for (const r of removals) {
    const layer = spec.layers[r.block];
    const group = layer.numHeads / layer.numKvHeads;
    const hd = layer.headDim;
    const qGone = new Set(r.attentionGroups.flatMap((g) => Array.from({ length: group * hd }, (_, j) => g * group * hd + j)));
    const kvGone = new Set(r.attentionGroups.flatMap((g) => Array.from({ length: hd }, (_, j) => g * hd + j)));
    const ffnGone = new Set(r.neurons);
    for (const s of blockSlices(spec, r.block)) {
      const gone = s.unit === 'q' ? qGone : s.unit === 'kv' ? kvGone : ffnGone;
      if (s.unit === 'q' && s.along !== 'columns') continue; // zeroing q rows would make attention uniform, not zero
      if (s.unit === 'kv' && s.weight.includes('k_proj')) continue; // likewise k
      const w = spec.weights.get(s.weight)!;
      const mask = new Uint8Array(w.data.length).fill(1);
      const cols = s.along === 'entries' ? 1 : w.shape[1];
      for (let i = 0; i < mask.length; i++) {
        const index = s.along === 'columns' ? i % cols : Math.floor(i / cols);
        if (gone.has(index)) mask[i] = 0;
      }
      masks[s.weight] = mask;
    }
  }
  return masks;
}
