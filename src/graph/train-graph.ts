// Training graphs for one batch × length: (1) the gradient graph: mean NLL of the plain-weight (fold off)
// model and the gradients of the trainable weights, added to accumulators fed in (gradient
// accumulation without a copy to JS); (2) the AdamW graph: clip by global norm, decoupled weight decay,
// bias-corrected moments, for every trainable tensor at once. Trainable weights are graph inputs;
// frozen ones stay (lazy) initializers, which the runtime binds to device buffers on WebGPU. Pure.

import type { ModelSpec } from '../model/model-spec';
import { addGradients, liveNodes } from './autodiff/autodiff';
import { buildModelProto } from './build-graph';
import { addLoraAdapters, isSparse, nonZero, specWeightOf, type LoraOptions, type LoraTarget } from './lora-graph';
import { lazyTensor, TensorType, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-writer';

/** A trainable tensor as the graphs see it: its graph name, its ModelSpec weight, and whether it is Wᵀ. */
export interface TrainParam {
  name: string;
  weight: string;
  transposed: boolean;
  dims: number[];
  /** A LoRA adapter matrix (A [in, r] or B [r, out]) of `lora.target`; `weight` is the target's weight. */
  lora?: { role: 'A' | 'B'; target: LoraTarget; rank: number };
  /**
   * A sparse weight trained in full: 1 where the value (in the graph's layout) is non-zero. AdamW
   * multiplies its update back to zero there, so pruned weights stay exactly zero.
   */
  keep?: () => Uint8Array;
}


export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled decay, applied to matrices only (not norms, biases or 1-D tensors). */
  weightDecay: number;
  /** Clip the accumulated gradient's global L2 norm to this; 0 = no clipping. */
  maxGradNorm: number;
}

/**
 * DReSS's regularizer (methods.md §5.4.3): λ · Σ ‖slice‖ over every slice of the hidden channels
 * `channels` ('l2': unsquared Frobenius norm, the default; 'l2sq': squared; 'l1': sum of |w|). Slices
 * are in the ModelSpec layout ([out, in]): 'columns' W[:, R], 'rows' W[R, :], 'entries' v[R].
 */
export interface ChannelRegularizer {
  slices: { weight: string; along: 'columns' | 'rows' | 'entries' }[];
  channels: number[];
  lambda: number;
  norm: 'l2' | 'l2sq' | 'l1';
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

/**
 * Distillation (nn_pruning's distil_loss_combine on next-token logits): the objective is
 * alphaCe · CE + alphaTeacher · T² · KL(p_teacher^T ‖ p_student^T), the KL summed over the vocabulary and
 * averaged over the scored tokens, where p^T = softmax(logits / T). The teacher's log p^T comes in as
 * the input `teacher_logp` [batch, seqLen − 1, vocab] (buildTeacherGraph's output).
 */
export interface DistillOptions {
  temperature: number;
  alphaTeacher: number;
  alphaCe: number;
}

/** A masked weight as the graphs see it: input `mask.<value>` (the value's layout) and output `grad.mask.<value>` (∂L/∂mask). */
export interface MaskedValue {
  weight: string;
  value: string;
  /** The graph value is Wᵀ: feed the mask transposed, read its gradient transposed back. */
  transposed: boolean;
  dims: number[];
}

export interface TrainGraphs {
  /**
   * Inputs `input_ids` [batch, seqLen] int64, each param `<name>` and accumulator `gradacc.<name>`;
   * outputs `loss` (mean NLL, float scalar) and `gradacc_out.<name>` = accumulator + gradient. Built
   * with `accumulate: false`: no accumulators, and the outputs are the gradients `grad.<name>`.
   */
  gradient: OnnxModel;
  /**
   * null when nothing but masks is trained. Inputs per param `<name>`, `m.<name>`, `v.<name>`, `g.<name>` (accumulated sum), and float scalars
   * `lr`, `bias_correction1` (1 − β1ᵗ), `bias_correction2` (1 − β2ᵗ), `grad_scale` (1 / micro-batches);
   * outputs `new.<name>`, `new_m.<name>`, `new_v.<name>` and `grad_norm` (before clipping).
   */
  optimizer: OnnxModel | null;
  params: TrainParam[];
  /** Masked weights (options.masked), in their order. */
  masks: MaskedValue[];
}

/** The trainable tensor of a graph initializer (lora-graph's specWeightOf), or null when it is no ModelSpec weight. */
export function trainParamOf(spec: ModelSpec, name: string, dims: number[]): TrainParam | null {
  const w = specWeightOf(spec, name);
  return w ? { name, ...w, dims } : null;
}

export function buildTrainGraphs(
  spec: ModelSpec,
  options: {
    trainable: (weight: string) => boolean;
    batch: number;
    seqLen: number;
    adamw?: Partial<AdamWOptions>;
    lora?: LoraOptions;
    regularizer?: ChannelRegularizer;
    /** Add the gradients to fed-in sums on the device (default true); false: output them as they are. */
    accumulate?: boolean;
    /** ModelSpec weights multiplied by fed masks (movement pruning); see TrainGraphs.masks. */
    masked?: string[];
    /** Distillation from fed teacher log-probabilities; see DistillOptions. */
    distill?: DistillOptions;
  },
): TrainGraphs {
  let nll = buildModelProto(spec, { purpose: 'nll', fold: false });
  const params: TrainParam[] = [];
  if (options.lora) {
    const { rank } = options.lora;
    const adapted = addLoraAdapters(spec, nll, options.lora);
    // Adapters are inputs already; the base weights stay frozen initializers unless also trainable.
    nll = { ...adapted.model, inputs: adapted.model.inputs.filter((i) => !i.name.startsWith('lora_A.') && !i.name.startsWith('lora_B.')) };
    for (const target of adapted.targets) {
      params.push({ name: target.a, weight: target.weight, transposed: false, dims: [target.inFeatures, rank], lora: { role: 'A', target, rank } });
      params.push({ name: target.b, weight: target.weight, transposed: false, dims: [rank, target.outFeatures], lora: { role: 'B', target, rank } });
    }
  }
  const initializers: OnnxTensor[] = [];
  for (const t of nll.initializers) {
    const p = t.dataType === TensorType.float ? trainParamOf(spec, t.name, t.dims) : null;
    if (p && options.trainable(p.weight)) {
      // Zeros counted on the stored weight (no transpose); the mask in the graph's layout is made lazily.
      if (t.dims.length === 2 && isSparse(spec.weights.get(p.weight)!.data)) {
        const source = t;
        p.keep = () => nonZero(source.data as Float32Array);
      }
      params.push(p);
    }
    else initializers.push(t);
  }
  if (params.length === 0 && !(options.masked?.length)) throw new Error('no trainable weights were selected');
  const adapted = new Set(params.filter((p) => p.lora).map((p) => p.weight));
  const both = params.find((p) => !p.lora && adapted.has(p.weight));
  if (both) throw new Error(`${both.weight} cannot be both trained and given a LoRA adapter`);
  const asInput = (p: TrainParam): OnnxValueInfo => ({ name: p.name, elemType: TensorType.float, dims: p.dims });
  const masks = maskedValues(spec, options.masked ?? [], [...initializers.map((t) => ({ name: t.name, dims: t.dims })), ...params]);
  nll = { ...nll, nodes: applyMasks(nll.nodes, masks) };
  const maskInputs: OnnxValueInfo[] = masks.map((m) => ({ name: `mask.${m.value}`, elemType: TensorType.float, dims: m.dims }));
  const maskGradOutputs: OnnxValueInfo[] = masks.map((m) => ({ name: `grad.mask.${m.value}`, elemType: TensorType.float, dims: m.dims }));
  const lossNodes: OnnxNode[] = [{ opType: 'ReduceMean', name: '/loss/ReduceMean', inputs: ['nll'], outputs: ['loss'], attributes: { keepdims: { kind: 'int', value: 0 } } }];
  const extraOutputs: OnnxValueInfo[] = [];
  let objective = 'loss';
  const extraInputs: OnnxValueInfo[] = [];
  if (options.distill) {
    const d = distillNodes(nll, options.distill, options.batch, options.seqLen, spec.config.vocabSize);
    lossNodes.push(...d.nodes);
    initializers.push(...d.initializers);
    extraInputs.push(d.input);
    extraOutputs.push({ name: 'distill_kl', elemType: TensorType.float, dims: [] });
    objective = d.objective;
  }
  if (options.regularizer) {
    const r = regularizerNodes(spec, [...initializers.map((t) => ({ name: t.name, dims: t.dims })), ...params], options.regularizer);
    lossNodes.push(...r.nodes, { opType: 'Add', name: '/loss/total', inputs: [objective, 'penalty'], outputs: ['objective'] });
    initializers.push(...r.initializers);
    extraOutputs.push({ name: 'penalty', elemType: TensorType.float, dims: [] }, { name: 'slice_norm', elemType: TensorType.float, dims: [] });
    objective = 'objective';
  }
  const forward: OnnxModel = {
    ...nll,
    initializers,
    inputs: [...nll.inputs, ...params.map(asInput), ...maskInputs, ...extraInputs],
    nodes: [...nll.nodes, ...lossNodes],
    outputs: [{ name: 'loss', elemType: TensorType.float, dims: [] }, ...extraOutputs],
  };
  const withGrads = addGradients(forward, {
    loss: objective,
    wrt: [...params.map((p) => p.name), ...masks.map((m) => `mask.${m.value}`)],
    inputDims: { input_ids: [options.batch, options.seqLen] },
    gradName: (n) => `grad.${n}`,
  });
  const ids = withGrads.inputs.map((i) => (i.name === 'input_ids' ? { ...i, dims: [options.batch, options.seqLen] } : i));
  // Masks alone (movement pruning with frozen weights) train nothing here: no AdamW graph.
  const optimizer = params.length > 0 ? buildAdamWGraph(params, { ...DEFAULT_ADAMW, ...options.adamw }) : null;
  if (options.accumulate === false) {
    const gradient = { ...withGrads, inputs: ids, outputs: [{ name: 'loss', elemType: TensorType.float, dims: [] }, ...extraOutputs, ...params.map((p) => ({ ...asInput(p), name: `grad.${p.name}` })), ...maskGradOutputs] };
    return { gradient, optimizer, params, masks };
  }
  // Accumulate: gradacc_out = gradacc + grad (the grad outputs become internal values).
  const accNodes: OnnxNode[] = params.map((p) => ({ opType: 'Add', name: `/accumulate/${p.name}`, inputs: [`gradacc.${p.name}`, `grad.${p.name}`], outputs: [`gradacc_out.${p.name}`] }));
  const gradient: OnnxModel = {
    ...withGrads,
    inputs: [
      ...ids,
      ...params.map((p) => ({ ...asInput(p), name: `gradacc.${p.name}` })),
    ],
    nodes: [...withGrads.nodes, ...accNodes],
    outputs: [{ name: 'loss', elemType: TensorType.float, dims: [] }, ...extraOutputs, ...params.map((p) => ({ ...asInput(p), name: `gradacc_out.${p.name}` })), ...maskGradOutputs],
  };
  return { gradient, optimizer, params, masks };
}

type GraphValue = { name: string; dims: number[] };

/** The graph value of a ModelSpec weight: W itself, or Wᵀ named `<weight>_T`; `what` names the caller in the error. */
function graphValueOf(byName: Map<string, GraphValue>, weight: string, what: string): { value: GraphValue; transposed: boolean } {
  const direct = byName.get(weight);
  const value = direct ?? byName.get(`${weight}_T`);
  if (!value) throw new Error(`${what}: the graph has no value for ${weight}`);
  return { value, transposed: !direct };
}

/** The graph value of each masked ModelSpec weight. */
function maskedValues(spec: ModelSpec, weights: string[], values: GraphValue[]): MaskedValue[] {
  const byName = new Map(values.map((v) => [v.name, v]));
  return weights.map((weight) => {
    if (!spec.weights.has(weight)) throw new Error(`masked: the model has no weight ${weight}`);
    const { value, transposed } = graphValueOf(byName, weight, 'masked');
    return { weight, value: value.name, transposed, dims: value.dims };
  });
}

/** Every read of a masked value reads value ⊙ mask instead (one Mul per masked value, before its first reader). */
function applyMasks(nodes: OnnxNode[], masks: MaskedValue[]): OnnxNode[] {
  if (masks.length === 0) return nodes;
  const renamed = new Map(masks.map((m) => [m.value, `masked.${m.value}`]));
  const muls: OnnxNode[] = masks.map((m) => ({ opType: 'Mul', name: `/movement/mask/${m.value}`, inputs: [m.value, `mask.${m.value}`], outputs: [`masked.${m.value}`] }));
  return [...muls, ...nodes.map((n) => (n.inputs.some((x) => renamed.has(x)) ? { ...n, inputs: n.inputs.map((x) => renamed.get(x) ?? x) } : n))];
}

/** The student's logits in an nll graph: the input of its LogSoftmax. */
function logitsOf(model: OnnxModel): string {
  const node = model.nodes.find((n) => n.opType === 'LogSoftmax');
  if (!node) throw new Error('the nll graph has no LogSoftmax');
  return node.inputs[0];
}

function distillNodes(nll: OnnxModel, d: DistillOptions, batch: number, seqLen: number, vocab: number) {
  const logits = logitsOf(nll);
  const scalar = (name: string, value: number): OnnxTensor => ({ name, dataType: TensorType.float, dims: [], data: Float32Array.of(value) });
  const initializers = [scalar('distill_temperature', d.temperature), scalar('distill_t2', d.temperature ** 2), scalar('distill_alpha_teacher', d.alphaTeacher), scalar('distill_alpha_ce', d.alphaCe)];
  const node = (opType: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): OnnxNode => ({ opType, name: `/distill/${output}`, inputs, outputs: [output], attributes });
  const int = (value: number) => ({ kind: 'int' as const, value });
  const nodes: OnnxNode[] = [
    node('Div', [logits, 'distill_temperature'], 'distill_scaled'),
    node('LogSoftmax', ['distill_scaled'], 'distill_student_logp', { axis: int(-1) }),
    node('Exp', ['teacher_logp'], 'distill_teacher_p'),
    node('Sub', ['teacher_logp', 'distill_student_logp'], 'distill_log_ratio'),
    node('Mul', ['distill_teacher_p', 'distill_log_ratio'], 'distill_terms'),
    node('ReduceSum', ['distill_terms', 'distill_last_axis'], 'distill_kl_tokens', { keepdims: int(0) }),
    node('ReduceMean', ['distill_kl_tokens'], 'distill_kl', { keepdims: int(0) }),
    node('Mul', ['distill_kl', 'distill_t2'], 'distill_scaled_kl'),
    node('Mul', ['distill_scaled_kl', 'distill_alpha_teacher'], 'distill_teacher_term'),
    node('Mul', ['loss', 'distill_alpha_ce'], 'distill_ce_term'),
    node('Add', ['distill_teacher_term', 'distill_ce_term'], 'distill_objective'),
  ];
  initializers.push({ name: 'distill_last_axis', dataType: TensorType.int64, dims: [1], data: BigInt64Array.of(-1n) });
  const input: OnnxValueInfo = { name: 'teacher_logp', elemType: TensorType.float, dims: [batch, seqLen - 1, vocab] };
  return { nodes, initializers, input, objective: 'distill_objective' };
}

/**
 * The teacher of distillation: the model's nll graph cut after its logits, which become
 * `teacher_logp` = log softmax(logits / T) [batch, seqLen − 1, vocab]. Its weights are the model's own
 * (frozen initializers).
 */
export function buildTeacherGraph(spec: ModelSpec, temperature: number): OnnxModel {
  const nll = buildModelProto(spec, { purpose: 'nll', fold: false });
  const logits = logitsOf(nll);
  const scale: OnnxTensor = { name: 'teacher_temperature', dataType: TensorType.float, dims: [], data: Float32Array.of(temperature) };
  const nodes: OnnxNode[] = [
    ...nll.nodes,
    { opType: 'Div', name: '/teacher/scale', inputs: [logits, 'teacher_temperature'], outputs: ['teacher_scaled'] },
    { opType: 'LogSoftmax', name: '/teacher/logp', inputs: ['teacher_scaled'], outputs: ['teacher_logp'], attributes: { axis: { kind: 'int', value: -1 } } },
  ];
  const kept = liveNodes(nodes, ['teacher_logp']);
  const read = new Set(kept.flatMap((n) => n.inputs));
  return {
    ...nll,
    nodes: kept,
    initializers: [...nll.initializers, scale].filter((t) => read.has(t.name)),
    outputs: [{ name: 'teacher_logp', elemType: TensorType.float, dims: ['batch_size', 'sequence_length - 1', spec.config.vocabSize] }],
  };
}

/**
 * The penalty λ·Σ‖W ⊙ M‖ (M: 1 on the regularized channels, broadcast along the other axis) and the
 * plain Σ‖W ⊙ M‖₂ for the trace, over the graph's values of the sliced weights (Wᵀ when transposed).
 */
function regularizerNodes(spec: ModelSpec, values: GraphValue[], r: ChannelRegularizer): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const d = spec.config.hiddenSize;
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const mask = (name: string, dims: number[]) => {
    const data = new Float32Array(d);
    for (const c of r.channels) data[c] = 1;
    initializers.push({ name, dataType: TensorType.float, dims, data });
    return name;
  };
  const rowMask = mask('dress_mask_rows', [d, 1]);
  const colMask = mask('dress_mask_cols', [1, d]);
  const entryMask = mask('dress_mask_entries', [d]);
  const scalar = (name: string, value: number) => (initializers.push({ name, dataType: TensorType.float, dims: [], data: Float32Array.of(value) }), name);
  const eps = scalar('dress_eps', 1e-12);
  const terms: string[] = [];
  const norms: string[] = [];
  const byName = new Map(values.map((v) => [v.name, v]));
  r.slices.forEach(({ weight, along }, k) => {
    const { value, transposed } = graphValueOf(byName, weight, 'DReSS');
    // In the graph's layout: a transposed W[out,in] is Wᵀ[in,out], so its columns are rows.
    const axis = along === 'entries' ? 'entries' : (along === 'columns') !== transposed ? 'columns' : 'rows';
    const m = axis === 'entries' ? entryMask : axis === 'columns' ? colMask : rowMask;
    const p = `/dress/${k}`;
    nodes.push({ opType: 'Mul', name: `${p}/mask`, inputs: [value.name, m], outputs: [`${p}/slice`] });
    nodes.push({ opType: 'ReduceSumSquare', name: `${p}/sq`, inputs: [`${p}/slice`], outputs: [`${p}/sumsq`], attributes: { keepdims: { kind: 'int', value: 0 } } });
    nodes.push({ opType: 'Add', name: `${p}/eps`, inputs: [`${p}/sumsq`, eps], outputs: [`${p}/sumsq_eps`] }); // √ differentiable at 0
    nodes.push({ opType: 'Sqrt', name: `${p}/norm`, inputs: [`${p}/sumsq_eps`], outputs: [`${p}/l2`] });
    norms.push(`${p}/l2`);
    if (r.norm === 'l2') terms.push(`${p}/l2`);
    else if (r.norm === 'l2sq') terms.push(`${p}/sumsq`);
    else {
      nodes.push({ opType: 'Abs', name: `${p}/abs`, inputs: [`${p}/slice`], outputs: [`${p}/absval`] });
      nodes.push({ opType: 'ReduceSum', name: `${p}/l1`, inputs: [`${p}/absval`], outputs: [`${p}/l1sum`], attributes: { keepdims: { kind: 'int', value: 0 } } });
      terms.push(`${p}/l1sum`);
    }
  });
  nodes.push({ opType: 'Sum', name: '/dress/sum', inputs: terms, outputs: ['/dress/total'] });
  nodes.push({ opType: 'Mul', name: '/dress/lambda', inputs: ['/dress/total', scalar('dress_lambda', r.lambda)], outputs: ['penalty'] });
  nodes.push({ opType: 'Sum', name: '/dress/norms', inputs: norms, outputs: ['slice_norm'] });
  return { nodes, initializers };
}

/** One AdamW update of every param (see TrainGraphs.optimizer). */
export function buildAdamWGraph(params: TrainParam[], o: AdamWOptions): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let k = 0;
  const op = (opType: string, inputs: string[], out?: string, attributes?: OnnxNode['attributes']): string => {
    const output = out ?? `/adamw/${opType}_${k}`;
    nodes.push({ opType, name: `/adamw/${opType}_${k++}`, inputs, outputs: [output], attributes });
    return output;
  };
  const scalar = (name: string, value: number) => {
    initializers.push({ name, dataType: TensorType.float, dims: [], data: Float32Array.of(value) });
    return name;
  };
  const [beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, one] = [
    scalar('beta1', o.beta1),
    scalar('one_minus_beta1', 1 - o.beta1),
    scalar('beta2', o.beta2),
    scalar('one_minus_beta2', 1 - o.beta2),
    scalar('eps', o.eps),
    scalar('one', 1),
  ];
  const scalarInput = (name: string): OnnxValueInfo => ({ name, elemType: TensorType.float, dims: [] });
  const tensorInput = (name: string, p: TrainParam): OnnxValueInfo => ({ name, elemType: TensorType.float, dims: p.dims });

  // Mean gradient over micro-batches, its global norm, and the clip factor min(1, max / (norm + 1e-6)).
  const grads = params.map((p) => op('Mul', [`g.${p.name}`, 'grad_scale']));
  const sumSquares = params.map((_, i) => op('ReduceSumSquare', [grads[i]], undefined, { keepdims: { kind: 'int', value: 0 } }));
  const norm = op('Sqrt', [sumSquares.length === 1 ? sumSquares[0] : op('Sum', sumSquares)], 'grad_norm');
  let clip: string | null = null;
  if (o.maxGradNorm > 0) clip = op('Min', [one, op('Div', [scalar('max_grad_norm', o.maxGradNorm), op('Add', [norm, scalar('norm_eps', 1e-6)])])]);
  const decay = o.weightDecay > 0 ? scalar('weight_decay', o.weightDecay) : null;

  params.forEach((p, i) => {
    const g = clip ? op('Mul', [grads[i], clip]) : grads[i];
    const m = op('Add', [op('Mul', [`m.${p.name}`, beta1]), op('Mul', [g, oneMinusBeta1])], `new_m.${p.name}`);
    const v = op('Add', [op('Mul', [`v.${p.name}`, beta2]), op('Mul', [op('Mul', [g, g]), oneMinusBeta2])], `new_v.${p.name}`);
    const mHat = op('Div', [m, 'bias_correction1']);
    const vHat = op('Div', [v, 'bias_correction2']);
    let update = op('Div', [mHat, op('Add', [op('Sqrt', [vHat]), eps])]);
    if (decay && p.dims.length >= 2) update = op('Add', [update, op('Mul', [p.name, decay])]);
    if (p.keep) {
      const keep = p.keep;
      initializers.push(lazyTensor(`keep.${p.name}`, TensorType.bool, p.dims, () => keep()));
      const zero = initializers.some((t) => t.name === 'zero') ? 'zero' : scalar('zero', 0);
      op('Where', [`keep.${p.name}`, op('Sub', [p.name, op('Mul', [update, 'lr'])]), zero], `new.${p.name}`);
    } else op('Sub', [p.name, op('Mul', [update, 'lr'])], `new.${p.name}`);
  });
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    producerName: 'prunelab',
    graphName: 'prunelab-adamw',
    nodes,
    initializers,
    inputs: [
      ...params.flatMap((p) => [tensorInput(p.name, p), tensorInput(`m.${p.name}`, p), tensorInput(`v.${p.name}`, p), tensorInput(`g.${p.name}`, p)]),
      ...['lr', 'bias_correction1', 'bias_correction2', 'grad_scale'].map(scalarInput),
    ],
    outputs: [
      ...params.flatMap((p) => [tensorInput(`new.${p.name}`, p), tensorInput(`new_m.${p.name}`, p), tensorInput(`new_v.${p.name}`, p)]),
      scalarInput('grad_norm'),
    ],
  };
}
