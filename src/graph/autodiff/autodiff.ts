// Reverse-mode autodiff over the graph IR: given a forward graph, a scalar loss value and the values to
// differentiate (inputs or initializers), appends the backward nodes (standard ai.onnx ops only, one
// rule per op in ./grad-rules.ts) and outputs `grad.<name>` for each. Shapes are static
// (./shape-inference.ts), so broadcasting is reduced back to each input's dims with constant axes.
// Fan-out gradients are summed. Pure: imports only graph/.

import { TensorType, type OnnxModel, type OnnxNode, type OnnxTensor, type TensorElemType } from '../onnx-writer';
import { GRAD_RULES, type GradContext } from './grad-rules';
import { inferNode, inferShapes, type ValueShape } from './shape-inference';

export class AutodiffError extends Error {}

export interface GradientOptions {
  /** The scalar (or any-shaped: seeded with ones) value to differentiate. */
  loss: string;
  /** Inputs or initializers to differentiate the loss with respect to. */
  wrt: string[];
  /** Dims of inputs whose dims are symbolic. */
  inputDims?: Record<string, number[]>;
  /** Output name of each gradient (default `grad.<name>`). */
  gradName?: (name: string) => string;
  /** Keep the graph's own outputs (default true); the loss is always an output. */
  keepOutputs?: boolean;
}

const FLOAT_TYPES = new Set<number>([TensorType.float, TensorType.float16, TensorType.double]);

/** The forward model with backward nodes and gradient outputs appended. */
export function addGradients(model: OnnxModel, options: GradientOptions): OnnxModel {
  const shapes = inferShapes(model, options.inputDims);
  const lossShape = shapes.get(options.loss);
  if (!lossShape) throw new AutodiffError(`the loss ${options.loss} is not a value of the graph`);
  for (const w of options.wrt) {
    const s = shapes.get(w);
    if (!s) throw new AutodiffError(`cannot differentiate with respect to ${w}: not a value of the graph`);
    if (!FLOAT_TYPES.has(s.dtype)) throw new AutodiffError(`cannot differentiate with respect to ${w}: type ${s.dtype} is not a float type`);
  }

  // Values that depend on a wrt value (forward), and nodes the loss depends on (backward).
  const requires = new Set(options.wrt);
  for (const node of model.nodes) if (node.inputs.some((x) => requires.has(x))) node.outputs.forEach((o) => o && requires.add(o));
  const producer = new Map<string, OnnxNode>();
  for (const node of model.nodes) for (const o of node.outputs) if (o) producer.set(o, node);
  const needed = new Set<OnnxNode>();
  const stack = [options.loss];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = producer.get(v);
    if (!p || !requires.has(v)) continue;
    needed.add(p);
    for (const x of p.inputs) if (x && requires.has(x)) stack.push(x);
  }

  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const used = new Set<string>([...shapes.keys(), ...model.nodes.map((n) => n.name)]);
  const unique = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  let scope = '/grad';
  const constCache = new Map<string, string>();

  const ctx: GradContext = {
    shape(name) {
      const s = shapes.get(name);
      if (!s) throw new AutodiffError(`no shape for ${name}`);
      return s;
    },
    opN(opType, inputs, numOutputs, attrs = {}) {
      const name = unique(`${scope}/${opType}`);
      const outputs = Array.from({ length: numOutputs }, (_, i) => unique(`${name}_output_${i}`));
      const node: OnnxNode = { opType, name, inputs, outputs, attributes: attrs };
      nodes.push(node);
      inferNode(node, shapes);
      return outputs;
    },
    op(opType, inputs, attrs = {}) {
      return ctx.opN(opType, inputs, 1, attrs)[0];
    },
    int64(values) {
      const key = `i64:${values.join(',')}`;
      let name = constCache.get(key);
      if (!name) {
        name = unique(`/grad/const_i64_${values.join('_').replace(/-/g, 'm')}`);
        const t: OnnxTensor = { name, dataType: TensorType.int64, dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) };
        initializers.push(t);
        shapes.set(name, { dtype: TensorType.int64, dims: [values.length], values: [...values] });
        constCache.set(key, name);
      }
      return name;
    },
    scalar(value, dtype) {
      const key = `${dtype}:${value}`;
      let name = constCache.get(key);
      if (!name) {
        name = unique(`/grad/const_${dtype}_${constCache.size}`);
        initializers.push(floatTensor(name, dtype, [], [value]));
        shapes.set(name, { dtype, dims: [] });
        constCache.set(key, name);
      }
      return name;
    },
    zeros(dims, dtype) {
      const value = floatTensor('value', dtype, [1], [0]);
      return ctx.op('ConstantOfShape', [ctx.int64(dims)], { value: { kind: 'tensor', value } });
    },
    unbroadcast(g, to) {
      const from = ctx.shape(g).dims;
      if (from.join() === to.join()) return g;
      const lead = from.length - to.length;
      const axes: number[] = [];
      from.forEach((d, i) => {
        if (i < lead || (to[i - lead] === 1 && d !== 1)) axes.push(i);
      });
      let r = axes.length ? ctx.op('ReduceSum', [g, ctx.int64(axes)], { keepdims: { kind: 'int', value: 1 } }) : g;
      if (ctx.shape(r).dims.join() !== to.join()) r = ctx.op('Reshape', [r, ctx.int64(to)]);
      return r;
    },
  };

  // Accumulated gradient contributions per forward value.
  const grads = new Map<string, string[]>();
  const add = (value: string, g: string) => grads.set(value, [...(grads.get(value) ?? []), g]);
  const total = (value: string): string | null => {
    const parts = grads.get(value);
    if (!parts?.length) return null;
    if (parts.length === 1) return parts[0];
    const sum = ctx.op('Sum', parts);
    grads.set(value, [sum]);
    return sum;
  };

  const dtype = lossShape.dtype;
  if (!FLOAT_TYPES.has(dtype)) throw new AutodiffError(`the loss ${options.loss} is not a float value`);
  const seedName = unique('/grad/seed');
  const count = lossShape.dims.reduce((a, b) => a * b, 1);
  initializers.push(floatTensor(seedName, dtype, lossShape.dims, new Array<number>(count).fill(1)));
  shapes.set(seedName, { dtype, dims: [...lossShape.dims] });
  add(options.loss, seedName);

  for (let k = model.nodes.length - 1; k >= 0; k--) {
    const node = model.nodes[k];
    if (!needed.has(node)) continue;
    const outGrads = node.outputs.map((o) => (o ? total(o) : null));
    if (outGrads.every((g) => g === null)) continue;
    const rule = GRAD_RULES[node.opType];
    if (!rule) throw new AutodiffError(`no gradient rule for ${node.opType} (node ${node.name})`);
    scope = `/grad${node.name}`;
    const inGrads = rule(ctx, node, outGrads);
    node.inputs.forEach((x, i) => {
      const g = inGrads[i];
      if (x && g && requires.has(x)) add(x, g);
    });
  }

  const gradName = options.gradName ?? ((n: string) => `grad.${n}`);
  const outputs = (options.keepOutputs ?? true) ? [...model.outputs] : [];
  if (!outputs.some((o) => o.name === options.loss)) outputs.push({ name: options.loss, elemType: dtype, dims: lossShape.dims });
  scope = '/grad/outputs';
  for (const w of options.wrt) {
    const s = shapes.get(w)!;
    const g = total(w) ?? ctx.zeros(s.dims, s.dtype);
    nodes.push({ opType: 'Identity', name: unique(`/grad/${w}/Identity`), inputs: [g], outputs: [gradName(w)] });
    outputs.push({ name: gradName(w), elemType: s.dtype, dims: s.dims });
  }
  // Rules emit every input's gradient; those of values nobody differentiates (frozen weights, ids) are
  // dropped here, since a session runs every node whether its outputs are fetched or not.
  const kept = liveNodes([...model.nodes, ...nodes], outputs.map((o) => o.name));
  const read = new Set([...kept.flatMap((n) => n.inputs), ...outputs.map((o) => o.name)]);
  return { ...model, nodes: kept, initializers: [...model.initializers, ...initializers].filter((t) => read.has(t.name)), outputs };
}

/** The nodes that some output depends on, in their original order. */
export function liveNodes(nodes: OnnxNode[], outputs: string[]): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const live = new Set<OnnxNode>();
  const stack = [...outputs];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (!p || live.has(p)) continue;
    live.add(p);
    for (const x of p.inputs) if (x) stack.push(x);
  }
  return nodes.filter((n) => live.has(n));
}

function floatTensor(name: string, dtype: TensorElemType, dims: number[], values: number[]): OnnxTensor {
  if (dtype === TensorType.double) return { name, dataType: dtype, dims, data: Float64Array.from(values) };
  if (dtype === TensorType.float) return { name, dataType: dtype, dims, data: Float32Array.from(values) };
  throw new AutodiffError(`constants of type ${dtype} are not supported in gradients (use float32 or float64)`);
}

export type { ValueShape };
