// One gradient rule per forward op: given the node and the gradients of its outputs, the gradients of
// its inputs (null where an input is not differentiable). Standard ai.onnx ops only (no com.microsoft
// *Grad ops, which onnxruntime's WebGPU provider lacks); shapes are static, so broadcasting is undone
// with constant axes (ctx.unbroadcast). Used by ./autodiff.ts. Pure.

import type { OnnxAttributeValue, OnnxNode, TensorElemType } from '../onnx-writer';
import { sliceRanges, type ValueShape } from './shape-inference';

export interface GradContext {
  shape(name: string): ValueShape;
  op(opType: string, inputs: string[], attrs?: Record<string, OnnxAttributeValue>): string;
  opN(opType: string, inputs: string[], numOutputs: number, attrs?: Record<string, OnnxAttributeValue>): string[];
  int64(values: number[]): string;
  /** A scalar constant of a float type. */
  scalar(value: number, dtype: TensorElemType): string;
  zeros(dims: number[], dtype: TensorElemType): string;
  /** Sums `g` over the axes it was broadcast along, to dims `to`. */
  unbroadcast(g: string, to: number[]): string;
}

export type GradRule = (ctx: GradContext, node: OnnxNode, outGrads: (string | null)[]) => (string | null)[];

const int = (value: number): OnnxAttributeValue => ({ kind: 'int', value });
const ints = (value: number[]): OnnxAttributeValue => ({ kind: 'ints', value });

function attr<T>(node: OnnxNode, name: string, fallback: T): T {
  const a = node.attributes?.[name];
  return a === undefined ? fallback : (a.value as T);
}

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Swaps the last two axes. */
function transposeLast(ctx: GradContext, x: string): string {
  const r = ctx.shape(x).dims.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return ctx.op('Transpose', [x], { perm: ints(perm) });
}

/** Unary rules of the form dx = g · f(x, y). */
function unary(f: (ctx: GradContext, x: string, y: string, g: string) => string): GradRule {
  return (ctx, node, [g]) => [g ? f(ctx, node.inputs[0], node.outputs[0], g) : null];
}

/** Reductions: g (keepdims or not) broadcast back to the input's dims. */
function expandReduced(ctx: GradContext, node: OnnxNode, g: string): { gk: string; axes: number[]; count: number } {
  const x = ctx.shape(node.inputs[0]).dims;
  const axesInput = node.inputs[1] ? ctx.shape(node.inputs[1]).values : attr<number[] | undefined>(node, 'axes', undefined);
  const axes = (axesInput ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length));
  const keep = attr(node, 'keepdims', 1) === 1;
  const gk = keep ? g : ctx.op('Reshape', [g, ctx.int64(x.map((d, i) => (axes.includes(i) ? 1 : d)))]);
  return { gk, axes, count: axes.reduce((n, a) => n * x[a], 1) };
}

export const GRAD_RULES: Record<string, GradRule> = {
  Identity: (_ctx, _node, [g]) => [g],
  Add: (ctx, node, [g]) => node.inputs.map((x) => (g ? ctx.unbroadcast(g, ctx.shape(x).dims) : null)),
  Sum: (ctx, node, [g]) => node.inputs.map((x) => (g ? ctx.unbroadcast(g, ctx.shape(x).dims) : null)),
  Sub: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [a, b] = node.inputs;
    return [ctx.unbroadcast(g, ctx.shape(a).dims), ctx.unbroadcast(ctx.op('Neg', [g]), ctx.shape(b).dims)];
  },
  Mul: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [a, b] = node.inputs;
    return [ctx.unbroadcast(ctx.op('Mul', [g, b]), ctx.shape(a).dims), ctx.unbroadcast(ctx.op('Mul', [g, a]), ctx.shape(b).dims)];
  },
  Div: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [a, b] = node.inputs;
    const y = node.outputs[0];
    const ga = ctx.op('Div', [g, b]);
    const gb = ctx.op('Neg', [ctx.op('Mul', [ga, y])]); // −g·a/b² = −(g/b)·y
    return [ctx.unbroadcast(ga, ctx.shape(a).dims), ctx.unbroadcast(gb, ctx.shape(b).dims)];
  },
  Pow: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [a, e] = node.inputs;
    const dt = ctx.shape(a).dtype;
    // d/da a^e = e·a^(e−1); the exponent is treated as a constant (no gradient).
    const eCast = ctx.shape(e).dtype === dt ? e : ctx.op('Cast', [e], { to: int(dt) });
    const da = ctx.op('Mul', [eCast, ctx.op('Pow', [a, ctx.op('Sub', [eCast, ctx.scalar(1, dt)])])]);
    return [ctx.unbroadcast(ctx.op('Mul', [g, da]), ctx.shape(a).dims), null];
  },
  Neg: unary((ctx, _x, _y, g) => ctx.op('Neg', [g])),
  Sqrt: unary((ctx, _x, y, g) => ctx.op('Div', [g, ctx.op('Mul', [y, ctx.scalar(2, ctx.shape(y).dtype)])])),
  Reciprocal: unary((ctx, _x, y, g) => ctx.op('Neg', [ctx.op('Mul', [g, ctx.op('Mul', [y, y])])])),
  Abs: unary((ctx, x, _y, g) => ctx.op('Mul', [g, ctx.op('Sign', [x])])),
  Exp: unary((ctx, _x, y, g) => ctx.op('Mul', [g, y])),
  Log: unary((ctx, x, _y, g) => ctx.op('Div', [g, x])),
  Sigmoid: unary((ctx, _x, y, g) => {
    const dt = ctx.shape(y).dtype;
    return ctx.op('Mul', [g, ctx.op('Mul', [y, ctx.op('Sub', [ctx.scalar(1, dt), y])])]);
  }),
  Tanh: unary((ctx, _x, y, g) => {
    const dt = ctx.shape(y).dtype;
    return ctx.op('Mul', [g, ctx.op('Sub', [ctx.scalar(1, dt), ctx.op('Mul', [y, y])])]);
  }),
  Erf: unary((ctx, x, _y, g) => {
    const dt = ctx.shape(x).dtype;
    const gauss = ctx.op('Exp', [ctx.op('Neg', [ctx.op('Mul', [x, x])])]);
    return ctx.op('Mul', [g, ctx.op('Mul', [gauss, ctx.scalar(2 / Math.sqrt(Math.PI), dt)])]);
  }),
  Relu: unary((ctx, x, _y, g) => {
    const dt = ctx.shape(x).dtype;
    return ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0, dt)]), g, ctx.scalar(0, dt)]);
  }),
  Clip: (ctx, node, [g]) => {
    if (!g) return [null, null, null];
    const x = node.inputs[0];
    const dt = ctx.shape(x).dtype;
    const inside = ctx.op('Equal', [x, node.outputs[0]]); // unclipped where the output equals the input
    return [ctx.op('Where', [inside, g, ctx.scalar(0, dt)]), null, null];
  },
  Cast: (ctx, node, [g]) => {
    const from = ctx.shape(node.inputs[0]).dtype;
    if (!g || !isFloat(from)) return [null];
    return [from === ctx.shape(g).dtype ? g : ctx.op('Cast', [g], { to: int(from) })];
  },
  Where: (ctx, node, [g]) => {
    if (!g) return [null, null, null];
    const [c, a, b] = node.inputs;
    const dt = ctx.shape(g).dtype;
    const zero = ctx.scalar(0, dt);
    return [null, ctx.unbroadcast(ctx.op('Where', [c, g, zero]), ctx.shape(a).dims), ctx.unbroadcast(ctx.op('Where', [c, zero, g]), ctx.shape(b).dims)];
  },
  Expand: (ctx, node, [g]) => [g ? ctx.unbroadcast(g, ctx.shape(node.inputs[0]).dims) : null, null],

  MatMul: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [a, b] = node.inputs;
    const [ad, bd] = [ctx.shape(a).dims, ctx.shape(b).dims];
    const ga = ctx.unbroadcast(ctx.op('MatMul', [g, transposeLast(ctx, b)]), ad);
    let gb: string;
    if (bd.length === 2 && ad.length > 2) {
      // [.., K] tokens flattened: dB = A2ᵀ · G2, one Gemm.
      const K = ad[ad.length - 1];
      const N = bd[1];
      gb = ctx.op('Gemm', [ctx.op('Reshape', [a, ctx.int64([-1, K])]), ctx.op('Reshape', [g, ctx.int64([-1, N])])], { transA: int(1) });
    } else gb = ctx.unbroadcast(ctx.op('MatMul', [transposeLast(ctx, a), g]), bd);
    return [ga, gb];
  },
  Gemm: (ctx, node, [g]) => {
    if (!g) return [null, null, null];
    const [a, b, c] = node.inputs;
    const alpha = attr(node, 'alpha', 1);
    const beta = attr(node, 'beta', 1);
    const tA = attr(node, 'transA', 0);
    const tB = attr(node, 'transB', 0);
    const gemm = (x: string, y: string, transA: number, transB: number) =>
      ctx.op('Gemm', [x, y], { alpha: { kind: 'float', value: alpha }, transA: int(transA), transB: int(transB) });
    const ga = !tA ? gemm(g, b, 0, tB ? 0 : 1) : gemm(b, g, tB ? 1 : 0, 1);
    const gb = !tB ? gemm(a, g, tA ? 0 : 1, 0) : gemm(g, a, 1, tA ? 1 : 0);
    let gc: string | null = null;
    if (c) {
      const dt = ctx.shape(g).dtype;
      const scaled = beta === 1 ? g : ctx.op('Mul', [g, ctx.scalar(beta, dt)]);
      gc = ctx.unbroadcast(scaled, ctx.shape(c).dims);
    }
    return [ga, gb, gc];
  },

  ReduceSum: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const { gk } = expandReduced(ctx, node, g);
    return [ctx.op('Expand', [gk, ctx.int64(ctx.shape(node.inputs[0]).dims)]), null];
  },
  ReduceMean: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const { gk, count } = expandReduced(ctx, node, g);
    const dt = ctx.shape(g).dtype;
    return [ctx.op('Expand', [ctx.op('Div', [gk, ctx.scalar(count, dt)]), ctx.int64(ctx.shape(node.inputs[0]).dims)]), null];
  },
  ReduceSumSquare: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const { gk } = expandReduced(ctx, node, g);
    const x = node.inputs[0];
    const dt = ctx.shape(g).dtype;
    return [ctx.op('Mul', [ctx.op('Mul', [x, ctx.scalar(2, dt)]), gk]), null];
  },
  Softmax: (ctx, node, [g]) => {
    if (!g) return [null];
    const y = node.outputs[0];
    const axis = attr(node, 'axis', -1);
    const dot = ctx.op('ReduceSum', [ctx.op('Mul', [g, y]), ctx.int64([axis])], { keepdims: int(1) });
    return [ctx.op('Mul', [y, ctx.op('Sub', [g, dot])])];
  },
  LogSoftmax: (ctx, node, [g]) => {
    if (!g) return [null];
    const y = node.outputs[0];
    const axis = attr(node, 'axis', -1);
    const sum = ctx.op('ReduceSum', [g, ctx.int64([axis])], { keepdims: int(1) });
    return [ctx.op('Sub', [g, ctx.op('Mul', [ctx.op('Exp', [y]), sum])])];
  },
  LayerNormalization: (ctx, node, [g]) => {
    if (!g) return [null, null, null];
    const [x, scale, bias] = node.inputs;
    const xd = ctx.shape(x).dims;
    const dt = ctx.shape(x).dtype;
    const axis = normAxis(attr(node, 'axis', -1), xd.length);
    const eps = attr(node, 'epsilon', 1e-5);
    const normAxes = xd.slice(axis).map((_, i) => axis + i);
    const axes = ctx.int64(normAxes);
    const keep = { keepdims: int(1) };
    // Recompute the statistics: x̂ = (x − μ)·σ⁻¹, σ⁻¹ = 1/√(var + ε) (ReduceMean takes axes as an attribute at opset 17).
    const mean = (v: string) => ctx.op('ReduceMean', [v], { axes: ints(normAxes), ...keep });
    const centered = ctx.op('Sub', [x, mean(x)]);
    const variance = mean(ctx.op('Mul', [centered, centered]));
    const inv = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.scalar(eps, dt)])])]);
    const xhat = ctx.op('Mul', [centered, inv]);
    const gxhat = ctx.op('Mul', [g, scale]);
    const meanG = ctx.op('ReduceSum', [gxhat, axes], keep);
    const meanGx = ctx.op('ReduceSum', [ctx.op('Mul', [gxhat, xhat]), axes], keep);
    const n = ctx.scalar(xd.slice(axis).reduce((a, b) => a * b, 1), dt);
    const inner = ctx.op('Sub', [ctx.op('Sub', [gxhat, ctx.op('Div', [meanG, n])]), ctx.op('Mul', [xhat, ctx.op('Div', [meanGx, n])])]);
    const gx = ctx.op('Mul', [inner, inv]);
    const gScale = ctx.unbroadcast(ctx.op('Mul', [g, xhat]), ctx.shape(scale).dims);
    const gBias = bias ? ctx.unbroadcast(g, ctx.shape(bias).dims) : null;
    return [gx, gScale, gBias];
  },

  Reshape: (ctx, node, [g]) => [g ? ctx.op('Reshape', [g, ctx.int64(ctx.shape(node.inputs[0]).dims)]) : null, null],
  Squeeze: (ctx, node, [g]) => [g ? ctx.op('Reshape', [g, ctx.int64(ctx.shape(node.inputs[0]).dims)]) : null, null],
  Unsqueeze: (ctx, node, [g]) => [g ? ctx.op('Reshape', [g, ctx.int64(ctx.shape(node.inputs[0]).dims)]) : null, null],
  Transpose: (ctx, node, [g]) => {
    if (!g) return [null];
    const r = ctx.shape(node.inputs[0]).dims.length;
    const perm = attr<number[]>(node, 'perm', [...Array(r).keys()].reverse());
    const inverse = new Array<number>(r);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.op('Transpose', [g], { perm: ints(inverse) })];
  },
  Concat: (ctx, node, [g]) => {
    if (!g) return node.inputs.map(() => null);
    const r = ctx.shape(node.inputs[0]).dims.length;
    const axis = normAxis(attr(node, 'axis', 0), r);
    const sizes = node.inputs.map((x) => ctx.shape(x).dims[axis]);
    return ctx.opN('Split', [g, ctx.int64(sizes)], sizes.length, { axis: int(axis) });
  },
  Split: (ctx, node, outGrads) => {
    const x = ctx.shape(node.inputs[0]);
    const axis = normAxis(attr(node, 'axis', 0), x.dims.length);
    const parts = node.outputs.map((o, k) => outGrads[k] ?? ctx.zeros(ctx.shape(o).dims, x.dtype));
    return [ctx.op('Concat', parts, { axis: int(axis) }), null];
  },
  Slice: (ctx, node, [g]) => {
    if (!g) return node.inputs.map(() => null);
    const x = node.inputs[0];
    const xd = ctx.shape(x).dims;
    const val = (i: number) => (node.inputs[i] ? ctx.shape(node.inputs[i]).values : undefined);
    const { dims, ranges } = sliceRanges(xd, val(1)!, val(2)!, val(3), val(4));
    if (ranges.some(([, , step]) => step !== 1)) throw new Error(`${node.name}: the gradient of a Slice with steps ≠ 1 is not supported`);
    const pads = [...ranges.map(([start]) => start), ...ranges.map(([start], i) => xd[i] - start - dims[i])];
    return [ctx.op('Pad', [g, ctx.int64(pads)]), null, null, null, null];
  },
  Gather: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [data, indices] = node.inputs;
    const dd = ctx.shape(data);
    const axis = normAxis(attr(node, 'axis', 0), dd.dims.length);
    if (axis !== 0) throw new Error(`${node.name}: the gradient of a Gather on axis ${axis} is not supported`);
    // Scatter-add of the rows (an embedding gradient); repeated ids add up.
    const idx = ctx.op('Unsqueeze', [indices, ctx.int64([-1])]);
    return [ctx.op('ScatterND', [ctx.zeros(dd.dims, dd.dtype), idx, g], { reduction: { kind: 'string', value: 'add' } }), null];
  },
  GatherElements: (ctx, node, [g]) => {
    if (!g) return [null, null];
    const [data, indices] = node.inputs;
    const dd = ctx.shape(data);
    const axis = attr(node, 'axis', 0);
    return [ctx.op('ScatterElements', [ctx.zeros(dd.dims, dd.dtype), indices, g], { axis: int(axis), reduction: { kind: 'string', value: 'add' } }), null];
  },
};

function isFloat(dtype: number): boolean {
  return dtype === 1 || dtype === 10 || dtype === 11;
}
