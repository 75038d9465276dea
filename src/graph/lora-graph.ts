// LoRA adapters as a rewrite of the plain-weight graph: every MatMul(x, Wᵀ) on a target weight becomes
// MatMul(x, Wᵀ) + (α/r)·MatMul(MatMul(x, A), B) with A [in, r] and B [r, out] as graph inputs (the
// trainable set; W stays a frozen initializer). A weight with exact zeros (a sparsity-pruned model) is
// "masked": Wᵀ + (α/r)·Where(Wᵀ ≠ 0, A·B, 0), so the adapter never fills a pruned weight and the merge
// (mergeLora) leaves every pruned weight exactly zero. Pure: imports only graph/ and the ModelSpec types.

import type { ModelSpec } from '../model/model-spec';
import { lazyTensor, TensorType, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-writer';

export interface LoraOptions {
  rank: number;
  /** Scale α: the adapter's output is multiplied by α / rank. */
  alpha: number;
  /** Which ModelSpec weights get adapters (their initializers must be used by MatMul as the weight). */
  targets: (weight: string) => boolean;
}

/** Weights with at least this fraction of exact zeros are treated as pruned (masked LoRA, masked full fine-tuning). */
export const SPARSE_ZERO_FRACTION = 0.01;

/** True for a pruned weight: at least SPARSE_ZERO_FRACTION of its values are exactly 0. */
export function isSparse(values: Float32Array): boolean {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros / values.length >= SPARSE_ZERO_FRACTION;
}

/** 1 where a value is non-zero (a pruned weight's keep mask, as ONNX bool bytes). */
export function nonZero(values: Float32Array): Uint8Array {
  return Uint8Array.from(values, (x) => (x !== 0 ? 1 : 0));
}

export interface LoraTarget {
  /** The graph initializer (Wᵀ [in, out], or W as stored when the spec keeps [in, out]). */
  name: string;
  weight: string;
  transposed: boolean;
  inFeatures: number;
  outFeatures: number;
  masked: boolean;
  scale: number;
  a: string;
  b: string;
}

/** The ModelSpec weight behind a graph initializer of the plain (fold off) graph: `x.weight_T` is Wᵀ of `x.weight`. */
export function specWeightOf(spec: ModelSpec, name: string): { weight: string; transposed: boolean } | null {
  if (spec.weights.has(name)) return { weight: name, transposed: false };
  if (name.endsWith('_T') && spec.weights.has(name.slice(0, -2))) return { weight: name.slice(0, -2), transposed: true };
  return null;
}

export function addLoraAdapters(spec: ModelSpec, model: OnnxModel, options: LoraOptions): { model: OnnxModel; targets: LoraTarget[] } {
  if (!Number.isInteger(options.rank) || options.rank < 1) throw new Error(`LoRA rank must be a positive integer, got ${options.rank}`);
  const uses = new Map<string, OnnxNode[]>();
  for (const node of model.nodes) node.inputs.forEach((x) => uses.set(x, [...(uses.get(x) ?? []), node]));
  const targets: LoraTarget[] = [];
  const masks: OnnxTensor[] = [];
  for (const t of model.initializers) {
    if (t.dataType !== TensorType.float || t.dims.length !== 2) continue;
    const w = specWeightOf(spec, t.name);
    if (!w || !options.targets(w.weight)) continue;
    const users = uses.get(t.name) ?? [];
    if (users.length === 0 || users.some((n) => n.opType !== 'MatMul' || n.inputs[1] !== t.name)) continue;
    const masked = isSparse(spec.weights.get(w.weight)!.data);
    const [inFeatures, outFeatures] = t.dims;
    targets.push({ name: t.name, ...w, inFeatures, outFeatures, masked, scale: options.alpha / options.rank, a: `lora_A.${w.weight}`, b: `lora_B.${w.weight}` });
    if (masked) {
      const source = t;
      masks.push(lazyTensor(`lora_mask.${w.weight}`, TensorType.bool, t.dims, () => nonZero(source.data as Float32Array)));
    }
  }
  if (targets.length === 0) throw new Error('no LoRA target weight is used by a MatMul in this graph');
  const byName = new Map(targets.map((t) => [t.name, t]));
  const scale = 'lora_scale';
  const scalars: OnnxTensor[] = [{ name: scale, dataType: TensorType.float, dims: [], data: Float32Array.of(options.alpha / options.rank) }];
  const zero: OnnxTensor = { name: 'lora_zero', dataType: TensorType.float, dims: [], data: Float32Array.of(0) };
  const nodes: OnnxNode[] = [];
  for (const node of model.nodes) {
    const target = node.opType === 'MatMul' ? byName.get(node.inputs[1]) : undefined;
    if (!target) {
      nodes.push(node);
      continue;
    }
    const p = `${node.name}/lora`;
    const [x] = node.inputs;
    const [y] = node.outputs;
    if (target.masked) {
      nodes.push(
        { opType: 'MatMul', name: `${p}/delta`, inputs: [target.a, target.b], outputs: [`${p}/delta_out`] },
        { opType: 'Where', name: `${p}/mask`, inputs: [`lora_mask.${target.weight}`, `${p}/delta_out`, zero.name], outputs: [`${p}/masked`] },
        { opType: 'Mul', name: `${p}/scale`, inputs: [`${p}/masked`, scale], outputs: [`${p}/scaled`] },
        { opType: 'Add', name: `${p}/merge`, inputs: [target.name, `${p}/scaled`], outputs: [`${p}/weight`] },
        { ...node, inputs: [x, `${p}/weight`] },
      );
    } else {
      nodes.push(
        { ...node, outputs: [`${p}/base`] },
        { opType: 'MatMul', name: `${p}/A`, inputs: [x, target.a], outputs: [`${p}/xa`] },
        { opType: 'MatMul', name: `${p}/B`, inputs: [`${p}/xa`, target.b], outputs: [`${p}/xab`] },
        { opType: 'Mul', name: `${p}/scale`, inputs: [`${p}/xab`, scale], outputs: [`${p}/scaled`] },
        { opType: 'Add', name: `${p}/add`, inputs: [`${p}/base`, `${p}/scaled`], outputs: [y] },
      );
    }
  }
  return {
    model: {
      ...model,
      nodes,
      initializers: [...model.initializers, ...masks, ...scalars, ...(masks.length ? [zero] : [])],
      inputs: [
        ...model.inputs,
        ...targets.flatMap((t) => [
          { name: t.a, elemType: TensorType.float, dims: [t.inFeatures, options.rank] },
          { name: t.b, elemType: TensorType.float, dims: [options.rank, t.outFeatures] },
        ]),
      ],
    },
    targets,
  };
}

/**
 * The merged weight in the ModelSpec's layout: W + scale·(A·B)ᵀ (or + scale·A·B when the graph keeps
 * W as [in, out]); masked targets keep their zeros exactly.
 */
export function mergeLora(base: Float32Array, target: LoraTarget, a: Float32Array, b: Float32Array, rank: number): Float32Array {
  const { inFeatures: I, outFeatures: O } = target;
  const out = Float32Array.from(base);
  for (let i = 0; i < I; i++)
    for (let o = 0; o < O; o++) {
      let d = 0;
      for (let r = 0; r < rank; r++) d += a[i * rank + r] * b[r * O + o];
      const at = target.transposed ? o * I + i : i * O + o; // spec W [out, in] when the graph holds Wᵀ
      if (target.masked && base[at] === 0) continue;
      out[at] += target.scale * d;
    }
  return out;
}
