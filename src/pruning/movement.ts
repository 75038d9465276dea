// Block movement pruning's bookkeeping (methods.md §6, adapted to decoder LLMs as §6.5 says), pure:
// which scores exist and which weight entries each one masks, the masks from the scores (soft movement:
// σ(S) > τ; or hard top-k), the straight-through score gradients from the masked weights' gradients,
// the L1 penalty on σ(S) and its gradient, and the cubic τ / λ schedule of nn_pruning.
//
// Layouts, per block:
// - 'struct': one score per attention group (a K/V head with all its query heads: with GQA a K/V head
//   can only go with its whole group) over its q/k/v rows and its query heads' o_proj columns; one per FFN
//   neuron over its gate and up rows and its down column (GPT-2: c_fc row, c_proj column).
// - 'hybrid': attention in blocks of `block` × `block` entries of q/k/v and of o_proj (one score per
//   block of each matrix); FFN neurons as in 'struct'.
// Masks are in the ModelSpec layout ([out, in], row-major).

import { LabError } from '../errors';
import { blockLinearNames, type ModelSpec } from '../model/model-spec';

export type MovementLayout = 'struct' | 'hybrid';

/** One score tensor: `size` scores, each masking the entries `entriesOf(k)` of some weights. */
export interface ScoreGroup {
  /** e.g. 'block 0 attention groups', 'block 0 q_proj blocks', 'block 0 ffn neurons'. */
  name: string;
  kind: 'attention' | 'ffn';
  /** What one score covers: an attention group (struct), a block of one attention matrix (hybrid), an FFN neuron. */
  unit: 'attention-group' | 'attention-block' | 'neuron';
  block: number;
  size: number;
  /** The weights this group masks, each with the score index of every entry (−1: not masked by it). */
  targets: { weight: string; scoreOf: Int32Array }[];
}

/** Block i's linears by role, from blockLinearNames' order: q, k, v, o, then the FFN's input matrices (gate, up / c_fc) and its output (down / c_proj). */
function names(spec: ModelSpec, i: number) {
  const [q, k, v, o, ...ffn] = blockLinearNames(spec, i);
  return { q, k, v, o, up: ffn.slice(0, -1), down: ffn[ffn.length - 1] };
}

/** The index of the group of one unit kind in a block (struct attention groups or FFN neurons), or −1. */
export function groupOf(groups: ScoreGroup[], block: number, unit: ScoreGroup['unit']): number {
  return groups.findIndex((g) => g.block === block && g.unit === unit);
}

/** Score index per entry of a [rows, cols] weight: by row (`unit(row)`), by column, or by block. */
function indexBy(rows: number, cols: number, of: (r: number, c: number) => number): Int32Array {
  const out = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = of(r, c);
  return out;
}

/** The score groups of every block of `spec` for a layout (block size for 'hybrid'). */
export function movementGroups(spec: ModelSpec, layout: MovementLayout, block = 32): ScoreGroup[] {
  const groups: ScoreGroup[] = [];
  spec.layers.forEach((layer, i) => {
    const n = names(spec, i);
    const shape = (w: string) => spec.weights.get(w)!.shape as [number, number];
    const hd = layer.headDim;
    const perGroup = layer.numHeads / layer.numKvHeads;
    if (layout === 'struct') {
      const targets = [
        { weight: n.q, scoreOf: indexBy(...shape(n.q), (r) => Math.floor(r / (hd * perGroup))) },
        { weight: n.k, scoreOf: indexBy(...shape(n.k), (r) => Math.floor(r / hd)) },
        { weight: n.v, scoreOf: indexBy(...shape(n.v), (r) => Math.floor(r / hd)) },
        { weight: n.o, scoreOf: indexBy(...shape(n.o), (_, c) => Math.floor(c / (hd * perGroup))) },
      ];
      groups.push({ name: `block ${i} attention groups`, kind: 'attention', unit: 'attention-group', block: i, size: layer.numKvHeads, targets });
    } else {
      // nn_pruning gives o_proj the transposed block arguments; with square blocks the tiling is the same.
      for (const w of [n.q, n.k, n.v, n.o]) {
        const [rows, cols] = shape(w);
        if (rows % block !== 0 || cols % block !== 0)
          throw new LabError('bad-argument', `movement: ${w} is ${rows} × ${cols}, not divisible into ${block} × ${block} blocks; use the 'struct' layout or another block size`);
        const perRow = cols / block;
        const scoreOf = indexBy(rows, cols, (r, c) => Math.floor(r / block) * perRow + Math.floor(c / block));
        groups.push({ name: `block ${i} ${w.split('.').at(-2)} blocks`, kind: 'attention', unit: 'attention-block', block: i, size: (rows / block) * perRow, targets: [{ weight: w, scoreOf }] });
      }
    }
    const ffn = [
      ...n.up.map((w) => ({ weight: w, scoreOf: indexBy(...shape(w), (r) => r) })),
      { weight: n.down, scoreOf: indexBy(...shape(n.down), (_, c) => c) },
    ];
    groups.push({ name: `block ${i} ffn neurons`, kind: 'ffn', unit: 'neuron', block: i, size: layer.intermediateSize, targets: ffn });
  });
  return groups;
}

/** Which scores keep their entries: soft movement σ(S) > τ, or hard movement (top `keep` fraction of S per group). */
export function keepOf(scores: Float32Array, rule: { kind: 'soft'; threshold: number } | { kind: 'topk'; keep: number }): Uint8Array {
  const out = new Uint8Array(scores.length);
  if (rule.kind === 'soft') {
    for (let k = 0; k < scores.length; k++) out[k] = 1 / (1 + Math.exp(-scores[k])) > rule.threshold ? 1 : 0;
  } else {
    const count = Math.max(1, Math.round(rule.keep * scores.length));
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
    for (const k of order.slice(0, count)) out[k] = 1;
  }
  return out;
}

/** Float masks (1 keep, 0 drop) per weight from each group's keep flags; weights masked by two groups multiply. */
export function movementMasks(groups: ScoreGroup[], keeps: Uint8Array[]): Map<string, Float32Array> {
  const masks = new Map<string, Float32Array>();
  groups.forEach((g, gi) => {
    for (const t of g.targets) {
      let m = masks.get(t.weight);
      if (!m) masks.set(t.weight, (m = new Float32Array(t.scoreOf.length).fill(1)));
      for (let e = 0; e < m.length; e++) if (t.scoreOf[e] >= 0 && !keeps[gi][t.scoreOf[e]]) m[e] = 0;
    }
  });
  return masks;
}

/**
 * Straight-through score gradients: ∂L/∂S_k = Σ over the entries k masks of ∂L/∂M, where ∂L/∂M = ∂L/∂W' ⊙ W
 * is the gradient of the loss with respect to each weight's mask (what the training graph returns).
 */
export function scoreGradients(groups: ScoreGroup[], maskGradients: Map<string, Float32Array>): Float32Array[] {
  return groups.map((g) => {
    const out = new Float32Array(g.size);
    for (const t of g.targets) {
      const grad = maskGradients.get(t.weight);
      if (!grad) throw new Error(`movement: no mask gradient for ${t.weight}`);
      for (let e = 0; e < grad.length; e++) if (t.scoreOf[e] >= 0) out[t.scoreOf[e]] += grad[e];
    }
    return out;
  });
}

/**
 * nn_pruning's L1 penalty: per score tensor the mean σ(S), averaged within the attention and the FFN
 * groups, each × 0.5 · its multiplier (attention_lambda, dense_lambda); the step multiplies by λ(t).
 * Returns the penalty (before λ(t)) and its gradient with respect to every score.
 */
export function l1Penalty(groups: ScoreGroup[], scores: Float32Array[], lambdas = { attention: 1, ffn: 1 }): { value: number; gradients: Float32Array[] } {
  const count = { attention: groups.filter((g) => g.kind === 'attention').length, ffn: groups.filter((g) => g.kind === 'ffn').length };
  let value = 0;
  const gradients = groups.map((g, gi) => {
    const weight = (0.5 * lambdas[g.kind]) / count[g.kind] / g.size;
    const out = new Float32Array(g.size);
    for (let k = 0; k < g.size; k++) {
      const s = 1 / (1 + Math.exp(-scores[gi][k]));
      value += weight * s;
      out[k] = weight * s * (1 - s);
    }
    return out;
  });
  return { value, gradients };
}

export interface MovementSchedule {
  initialThreshold: number;
  finalThreshold: number;
  /** Warm-up steps W: τ stays initial for initialWarmup · W steps and final for the last finalWarmup · W. */
  warmupSteps: number;
  initialWarmup: number;
  finalWarmup: number;
  finalLambda: number;
}

/** nn_pruning's schedule_threshold at 1-based `step` of `total`: the cubic τ and λ(t) = λ_final · τ / τ_final. */
export function movementScheduleAt(step: number, total: number, s: MovementSchedule): { threshold: number; lambda: number } {
  const w = s.warmupSteps;
  let threshold: number;
  if (step <= s.initialWarmup * w) threshold = s.initialThreshold;
  else if (step > total - s.finalWarmup * w) threshold = s.finalThreshold;
  else {
    const c = 1 - (step - s.initialWarmup * w) / (total - (s.initialWarmup + s.finalWarmup) * w);
    threshold = s.finalThreshold + (s.initialThreshold - s.finalThreshold) * c ** 3;
  }
  return { threshold, lambda: s.finalThreshold === 0 ? s.finalLambda : (s.finalLambda * threshold) / s.finalThreshold };
}
