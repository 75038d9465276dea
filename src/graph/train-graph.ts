// Training graphs for one batch × length: (1) the gradient graph: mean NLL of the plain-weight (fold off)
// model and the gradients of the trainable weights, added to accumulators fed in (gradient
// accumulation without a copy to JS); (2) the AdamW graph: clip by global norm, decoupled weight decay,
// bias-corrected moments, for every trainable tensor at once. Trainable weights are graph inputs;
// frozen ones stay (lazy) initializers, which the runtime binds to device buffers on WebGPU. Pure.

import type { ModelSpec } from '../model/model-spec';
import { addGradients } from './autodiff/autodiff';
import { buildModelProto } from './build-graph';
import { addLoraAdapters, type LoraOptions, type LoraTarget } from './lora-graph';
import { TensorType, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-writer';

/** A trainable tensor as the graphs see it: its graph name, its ModelSpec weight, and whether it is Wᵀ. */
export interface TrainParam {
  name: string;
  weight: string;
  transposed: boolean;
  dims: number[];
  /** A LoRA adapter matrix (A [in, r] or B [r, out]) of `lora.target`; `weight` is the target's weight. */
  lora?: { role: 'A' | 'B'; target: LoraTarget; rank: number };
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

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

export interface TrainGraphs {
  /**
   * Inputs `input_ids` [batch, seqLen] int64, each param `<name>` and accumulator `gradacc.<name>`;
   * outputs `loss` (mean NLL, float scalar) and `gradacc_out.<name>` = accumulator + gradient.
   */
  gradient: OnnxModel;
  /**
   * Inputs per param `<name>`, `m.<name>`, `v.<name>`, `g.<name>` (accumulated sum), and float scalars
   * `lr`, `bias_correction1` (1 − β1ᵗ), `bias_correction2` (1 − β2ᵗ), `grad_scale` (1 / micro-batches);
   * outputs `new.<name>`, `new_m.<name>`, `new_v.<name>` and `grad_norm` (before clipping).
   */
  optimizer: OnnxModel;
  params: TrainParam[];
}

/** The spec weight behind a graph initializer of the plain (fold off) graph: `x.weight_T` is Wᵀ of `x.weight`. */
export function trainParamOf(spec: ModelSpec, name: string, dims: number[]): TrainParam | null {
  if (spec.weights.has(name)) return { name, weight: name, transposed: false, dims };
  if (name.endsWith('_T') && spec.weights.has(name.slice(0, -2))) return { name, weight: name.slice(0, -2), transposed: true, dims };
  return null;
}

export function buildTrainGraphs(
  spec: ModelSpec,
  options: { trainable: (weight: string) => boolean; batch: number; seqLen: number; adamw?: Partial<AdamWOptions>; lora?: LoraOptions },
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
    if (p && options.trainable(p.weight)) params.push(p);
    else initializers.push(t);
  }
  if (params.length === 0) throw new Error('no trainable weights were selected');
  const adapted = new Set(params.filter((p) => p.lora).map((p) => p.weight));
  const both = params.find((p) => !p.lora && adapted.has(p.weight));
  if (both) throw new Error(`${both.weight} cannot be both trained and given a LoRA adapter`);
  const asInput = (p: TrainParam): OnnxValueInfo => ({ name: p.name, elemType: TensorType.float, dims: p.dims });
  const forward: OnnxModel = {
    ...nll,
    initializers,
    inputs: [...nll.inputs, ...params.map(asInput)],
    nodes: [...nll.nodes, { opType: 'ReduceMean', name: '/loss/ReduceMean', inputs: ['nll'], outputs: ['loss'], attributes: { keepdims: { kind: 'int', value: 0 } } }],
    outputs: [{ name: 'loss', elemType: TensorType.float, dims: [] }],
  };
  const withGrads = addGradients(forward, {
    loss: 'loss',
    wrt: params.map((p) => p.name),
    inputDims: { input_ids: [options.batch, options.seqLen] },
    gradName: (n) => `grad.${n}`,
  });
  // Accumulate: gradacc_out = gradacc + grad (the grad outputs become internal values).
  const accNodes: OnnxNode[] = params.map((p) => ({ opType: 'Add', name: `/accumulate/${p.name}`, inputs: [`gradacc.${p.name}`, `grad.${p.name}`], outputs: [`gradacc_out.${p.name}`] }));
  const gradient: OnnxModel = {
    ...withGrads,
    inputs: [
      ...withGrads.inputs.map((i) => (i.name === 'input_ids' ? { ...i, dims: [options.batch, options.seqLen] } : i)),
      ...params.map((p) => ({ ...asInput(p), name: `gradacc.${p.name}` })),
    ],
    nodes: [...withGrads.nodes, ...accNodes],
    outputs: [{ name: 'loss', elemType: TensorType.float, dims: [] }, ...params.map((p) => ({ ...asInput(p), name: `gradacc_out.${p.name}` }))],
  };
  return { gradient, optimizer: buildAdamWGraph(params, { ...DEFAULT_ADAMW, ...options.adamw }), params };
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
    op('Sub', [p.name, op('Mul', [update, 'lr'])], `new.${p.name}`);
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
