// Hidden-channel (residual-stream width) pruning, methods.md §5.4: which channels, every weight slice
// that reads or writes them (the slices DReSS regularizes), and their physical removal (hidden_size
// shrinks; heads, head size and FFN width are untouched). Pure: ModelSpec in, ModelSpec out.

import { LabError } from '../errors';
import { gpt2Names, llamaNames, type ModelSpec, type WeightTensor } from '../model/model-spec';

export type ChannelSelection = 'last' | 'first' | 'uniform';
export const CHANNEL_SELECTIONS: ChannelSelection[] = ['last', 'first', 'uniform'];

/** The ⌈ratio·d⌉ hidden channels to remove, ascending: the last ones, the first ones, or a uniform stride. */
export function hiddenChannelIndices(d: number, ratio: number, selection: ChannelSelection = 'last'): number[] {
  if (!(ratio > 0 && ratio < 1)) throw new LabError('bad-argument', `channel ratio must be in (0, 1), got ${ratio}`);
  const n = Math.ceil(ratio * d);
  if (n >= d) throw new LabError('bad-argument', `removing ${n} of ${d} hidden channels leaves none`);
  if (selection === 'last') return Array.from({ length: n }, (_, i) => d - n + i);
  if (selection === 'first') return Array.from({ length: n }, (_, i) => i);
  if (selection === 'uniform') return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * d) / n));
  throw new LabError('bad-argument', `channel selection must be one of ${CHANNEL_SELECTIONS.join(', ')}, got '${String(selection)}'`);
}

/**
 * A weight slice along the hidden dimension, in the ModelSpec layout ([out, in] matrices):
 * 'columns' = W[:, R] (inputs read from the stream, embeddings' hidden columns), 'rows' = W[R, :]
 * (outputs written to the stream), 'entries' = v[R] (norm weights and biases).
 */
export interface HiddenSlice {
  weight: string;
  along: 'columns' | 'rows' | 'entries';
}

/** Every slice that reads or writes the hidden channels (§5.4.1), for the weights the spec has. */
export function hiddenSlices(spec: ModelSpec): HiddenSlice[] {
  const out: HiddenSlice[] = [];
  const add = (weight: string, along: HiddenSlice['along']) => spec.weights.has(weight) && out.push({ weight, along });
  if (spec.family === 'llama') {
    const n = llamaNames;
    add(n.embed, 'columns');
    add(n.lmHead, 'columns');
    add(n.finalNorm, 'entries');
    spec.layers.forEach((_, i) => {
      for (const w of [n.q(i), n.k(i), n.v(i), n.gate(i), n.up(i)]) add(w, 'columns');
      for (const w of [n.o(i), n.down(i)]) add(w, 'rows');
      for (const w of [n.inputNorm(i), n.postAttnNorm(i)]) add(w, 'entries');
    });
  } else {
    const n = gpt2Names;
    add(n.embed, 'columns');
    add(n.positions, 'columns');
    add(n.finalNormWeight, 'entries');
    add(n.finalNormBias, 'entries');
    spec.layers.forEach((_, i) => {
      for (const w of [n.q(i), n.k(i), n.v(i), n.fc(i)]) add(w, 'columns');
      for (const w of [n.o(i), n.proj(i)]) add(w, 'rows');
      for (const w of [n.oBias(i), n.projBias(i), n.ln1Weight(i), n.ln1Bias(i), n.ln2Weight(i), n.ln2Bias(i)]) add(w, 'entries');
    });
  }
  return out;
}

/** The names of norm weights (RMSNorm α), which the compensation rescales. */
function normWeights(spec: ModelSpec): Set<string> {
  if (spec.family !== 'llama') return new Set();
  const n = llamaNames;
  return new Set([n.finalNorm, ...spec.layers.flatMap((_, i) => [n.inputNorm(i), n.postAttnNorm(i)])]);
}

/**
 * Deletes hidden channels `removed` from every slice (§5.4.5); hidden_size ← d − |removed|.
 * `compensateNorm` (RMSNorm models): kept norm weights × √(d/d′) and ε × d/d′, so that when the
 * removed channels were 0 the normalized activations are exactly what they were over d channels (the
 * mean of squares is now taken over d′). LayerNorm models (GPT-2) are not compensated (their mean
 * shifts too).
 */
export function removeHiddenChannels(spec: ModelSpec, removed: number[], compensateNorm = true): ModelSpec {
  const d = spec.config.hiddenSize;
  const drop = new Set(removed);
  if (drop.size !== removed.length || removed.some((c) => !Number.isInteger(c) || c < 0 || c >= d))
    throw new LabError('bad-argument', `hidden channels to remove must be distinct integers in [0, ${d - 1}]`);
  const keep = Array.from({ length: d }, (_, c) => c).filter((c) => !drop.has(c));
  if (keep.length === 0) throw new LabError('bad-argument', 'removing every hidden channel leaves no model');
  const scale = compensateNorm && spec.family === 'llama' ? Math.sqrt(d / keep.length) : 1;
  const norms = normWeights(spec);
  const weights = new Map<string, WeightTensor>(spec.weights);
  for (const { weight, along } of hiddenSlices(spec)) {
    const w = spec.weights.get(weight)!;
    const data = w.data; // read once: stored weights decode on access
    let next: WeightTensor;
    if (along === 'entries') {
      const values = Float32Array.from(keep, (c) => data[c] * (norms.has(weight) ? scale : 1));
      next = { shape: [keep.length], data: values };
    } else if (along === 'columns') {
      const [rows, cols] = w.shape;
      const values = new Float32Array(rows * keep.length);
      for (let r = 0; r < rows; r++) for (let k = 0; k < keep.length; k++) values[r * keep.length + k] = data[r * cols + keep[k]];
      next = { shape: [rows, keep.length], data: values };
    } else {
      const cols = w.shape[1];
      const values = new Float32Array(keep.length * cols);
      keep.forEach((c, k) => values.set(data.subarray(c * cols, (c + 1) * cols), k * cols));
      next = { shape: [keep.length, cols], data: values };
    }
    weights.set(weight, next);
  }
  // With the compensation the ε inside √(mean(x²) + ε) scales by d/d′ as well, so that removal equals
  // masking exactly: √(d/d′)·x/√(S/d′ + ε′) = x/√(S/d + ε) when ε′ = ε·d/d′.
  const normEps = scale === 1 ? spec.config.normEps : (spec.config.normEps * d) / keep.length;
  return { ...spec, config: { ...spec.config, hiddenSize: keep.length, normEps }, weights };
}
