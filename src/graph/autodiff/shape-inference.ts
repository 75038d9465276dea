// Static shapes over the graph IR: every value's element type and dims for given input dims, with the
// values of small int64 tensors (shape arithmetic: Shape → Slice → Concat → Reshape) propagated, so a
// training graph built for one batch × length is static everywhere. Covers the ops graph/ emits and
// the ones autodiff adds. Pure: imports only the writer.

import { TensorType, type OnnxModel, type OnnxNode, type TensorElemType } from '../onnx-writer';

export interface ValueShape {
  dtype: TensorElemType;
  dims: number[];
  /** Element values of a small int64 tensor (≤ 64 elements), or a float scalar, when known statically. */
  values?: number[];
}

export class ShapeError extends Error {}

const MAX_VALUES = 64;
const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

export function broadcastDims(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw new ShapeError(`cannot broadcast [${shapes.map((x) => x.join(',')).join('] with [')}]`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function attr<T>(node: OnnxNode, name: string, fallback: T): T {
  const a = node.attributes?.[name];
  return a === undefined ? fallback : (a.value as T);
}

/** Shapes of every value of `model` (inputs' symbolic dims replaced by `inputDims`). */
export function inferShapes(model: OnnxModel, inputDims: Record<string, number[]> = {}): Map<string, ValueShape> {
  const shapes = new Map<string, ValueShape>();
  for (const input of model.inputs) {
    const dims = inputDims[input.name] ?? input.dims.map((d) => (typeof d === 'number' ? d : NaN));
    if (dims.some((d) => !Number.isInteger(d))) throw new ShapeError(`input ${input.name} has symbolic dims [${input.dims.join(', ')}]; give its dims`);
    shapes.set(input.name, { dtype: input.elemType, dims });
  }
  for (const t of model.initializers) {
    const s: ValueShape = { dtype: t.dataType, dims: [...t.dims] };
    if (t.dataType === TensorType.int64 && size(t.dims) <= MAX_VALUES) s.values = Array.from(t.data as BigInt64Array, Number);
    else if ((t.dataType === TensorType.float || t.dataType === TensorType.double) && size(t.dims) === 1) s.values = Array.from(t.data as Float32Array); // scalar constants (Range bounds)
    shapes.set(t.name, s);
  }
  for (const node of model.nodes) inferNode(node, shapes);
  return shapes;
}

/** Adds the shapes of `node`'s outputs to `shapes` (its inputs must be there). */
export function inferNode(node: OnnxNode, shapes: Map<string, ValueShape>): void {
  const get = (i: number): ValueShape => {
    const name = node.inputs[i];
    const s = name ? shapes.get(name) : undefined;
    if (!s) throw new ShapeError(`${node.name} (${node.opType}): input ${i} '${name ?? ''}' has no known shape`);
    return s;
  };
  const has = (i: number) => !!node.inputs[i];
  const vals = (i: number): number[] => {
    const v = get(i).values;
    if (!v) throw new ShapeError(`${node.name} (${node.opType}): input ${i} '${node.inputs[i]}' must be a constant known statically`);
    return v;
  };
  const set = (k: number, s: ValueShape) => {
    if (node.outputs[k]) shapes.set(node.outputs[k], s.values && s.values.length > MAX_VALUES ? { dtype: s.dtype, dims: s.dims } : s);
  };
  const x = () => get(0);
  const intValues = (fn: (...v: number[]) => number, outDims: number[]): number[] | undefined => {
    const inputs = node.inputs.map((_, i) => get(i));
    if (inputs.some((s) => !s.values) || size(outDims) > MAX_VALUES) return undefined;
    const n = size(outDims);
    const out: number[] = [];
    for (let j = 0; j < n; j++) out.push(fn(...inputs.map((s) => s.values![s.values!.length === 1 ? 0 : j])));
    return inputs.every((s) => s.values!.length === 1 || s.values!.length === n) ? out : undefined;
  };

  switch (node.opType) {
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Max':
    case 'Min':
    case 'Sum': {
      const dims = broadcastDims(...node.inputs.map((_, i) => get(i).dims));
      const ops: Record<string, (...v: number[]) => number> = {
        Add: (a, b) => a + b,
        Sub: (a, b) => a - b,
        Mul: (a, b) => a * b,
        Div: (a, b) => Math.trunc(a / b),
        Max: (...v) => Math.max(...v),
        Min: (...v) => Math.min(...v),
        Sum: (...v) => v.reduce((a, b) => a + b, 0),
      };
      const dtype = x().dtype;
      set(0, { dtype, dims, values: dtype === TensorType.int64 && ops[node.opType] ? intValues(ops[node.opType], dims) : undefined });
      return;
    }
    case 'Equal':
    case 'Less':
    case 'Greater':
    case 'LessOrEqual':
    case 'GreaterOrEqual':
    case 'And':
    case 'Or':
      set(0, { dtype: TensorType.bool, dims: broadcastDims(get(0).dims, get(1).dims) });
      return;
    case 'Where':
      set(0, { dtype: get(1).dtype, dims: broadcastDims(get(0).dims, get(1).dims, get(2).dims) });
      return;
    case 'Neg':
    case 'Sqrt':
    case 'Reciprocal':
    case 'Sigmoid':
    case 'Tanh':
    case 'Erf':
    case 'Exp':
    case 'Log':
    case 'Abs':
    case 'Sign':
    case 'Relu':
    case 'Softmax':
    case 'LogSoftmax':
    case 'Clip':
    case 'Trilu':
    case 'Not':
      set(0, { dtype: x().dtype, dims: x().dims, values: node.opType === 'Neg' && x().values ? x().values!.map((v) => -v) : undefined });
      return;
    case 'Identity':
      set(0, x());
      return;
    case 'Cast': {
      const to = attr<number>(node, 'to', TensorType.float) as TensorElemType;
      set(0, { dtype: to, dims: x().dims, values: x().values });
      return;
    }
    case 'MatMul': {
      const [a, b] = [get(0).dims, get(1).dims];
      if (a.length < 2 || b.length < 2) throw new ShapeError(`${node.name}: MatMul of rank < 2 is not supported`);
      if (a[a.length - 1] !== b[b.length - 2]) throw new ShapeError(`${node.name}: MatMul [${a}] × [${b}]`);
      const batch = broadcastDims(a.slice(0, -2), b.slice(0, -2));
      set(0, { dtype: x().dtype, dims: [...batch, a[a.length - 2], b[b.length - 1]] });
      return;
    }
    case 'Gemm': {
      const [a, b] = [get(0).dims, get(1).dims];
      const M = attr(node, 'transA', 0) ? a[1] : a[0];
      const N = attr(node, 'transB', 0) ? b[0] : b[1];
      set(0, { dtype: x().dtype, dims: [M, N] });
      return;
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceSumSquare':
    case 'ReduceMax': {
      const rank = x().dims.length;
      // ReduceSum takes axes as an input (opset 13); the others as an attribute until opset 18.
      const axesRaw = has(1) ? vals(1) : attr<number[] | undefined>(node, 'axes', undefined);
      const axes = (axesRaw ?? x().dims.map((_, i) => i)).map((a) => normAxis(a, rank));
      const keep = attr(node, 'keepdims', 1) === 1;
      const dims = keep ? x().dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x().dims.filter((_, i) => !axes.includes(i));
      set(0, { dtype: x().dtype, dims });
      return;
    }
    case 'Reshape': {
      const target = vals(1);
      const dims = target.map((d, i) => (d === 0 ? x().dims[i] : d));
      const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const out = dims.map((d) => (d === -1 ? size(x().dims) / known : d));
      if (size(out) !== size(x().dims)) throw new ShapeError(`${node.name}: cannot reshape [${x().dims}] to [${target}]`);
      set(0, { dtype: x().dtype, dims: out, values: x().values });
      return;
    }
    case 'Transpose': {
      const perm = attr<number[]>(node, 'perm', x().dims.map((_, i) => x().dims.length - 1 - i));
      set(0, { dtype: x().dtype, dims: perm.map((p) => x().dims[p]) });
      return;
    }
    case 'Concat': {
      const rank = x().dims.length;
      const axis = normAxis(attr(node, 'axis', 0), rank);
      const parts = node.inputs.map((_, i) => get(i));
      const dims = [...x().dims];
      dims[axis] = parts.reduce((n, p) => n + p.dims[axis], 0);
      const values = rank === 1 && parts.every((p) => p.values) ? parts.flatMap((p) => p.values!) : undefined;
      set(0, { dtype: x().dtype, dims, values });
      return;
    }
    case 'Slice': {
      const { dims, ranges } = sliceRanges(x().dims, vals(1), vals(2), has(3) ? vals(3) : undefined, has(4) ? vals(4) : undefined);
      let values: number[] | undefined;
      if (x().values && x().dims.length === 1) {
        const [start, , step] = ranges[0];
        values = Array.from({ length: dims[0] }, (_, j) => x().values![start + j * step]);
      }
      set(0, { dtype: x().dtype, dims, values });
      return;
    }
    case 'Split': {
      const rank = x().dims.length;
      const axis = normAxis(attr(node, 'axis', 0), rank);
      const sizes = has(1) ? vals(1) : node.outputs.map(() => x().dims[axis] / node.outputs.length);
      sizes.forEach((n, k) => {
        const dims = [...x().dims];
        dims[axis] = n;
        set(k, { dtype: x().dtype, dims });
      });
      return;
    }
    case 'Squeeze': {
      const rank = x().dims.length;
      const axes = has(1) ? vals(1).map((a) => normAxis(a, rank)) : x().dims.flatMap((d, i) => (d === 1 ? [i] : []));
      set(0, { dtype: x().dtype, dims: x().dims.filter((_, i) => !axes.includes(i)), values: x().values });
      return;
    }
    case 'Unsqueeze': {
      const rank = x().dims.length + vals(1).length;
      const axes = vals(1).map((a) => normAxis(a, rank));
      const dims: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x().dims[k++]);
      set(0, { dtype: x().dtype, dims, values: x().values });
      return;
    }
    case 'Gather': {
      const rank = x().dims.length;
      const axis = normAxis(attr(node, 'axis', 0), rank);
      const idx = get(1);
      const dims = [...x().dims.slice(0, axis), ...idx.dims, ...x().dims.slice(axis + 1)];
      const values = x().values && rank === 1 && idx.values ? idx.values.map((i) => x().values![i < 0 ? i + x().dims[0] : i]) : undefined;
      set(0, { dtype: x().dtype, dims, values });
      return;
    }
    case 'GatherElements':
      set(0, { dtype: x().dtype, dims: get(1).dims });
      return;
    case 'ScatterElements':
    case 'ScatterND':
    case 'Pad':
      if (node.opType === 'Pad') {
        const pads = vals(1);
        const r = x().dims.length;
        set(0, { dtype: x().dtype, dims: x().dims.map((d, i) => d + pads[i] + pads[i + r]) });
      } else set(0, x());
      return;
    case 'Shape':
      set(0, { dtype: TensorType.int64, dims: [x().dims.length], values: [...x().dims] });
      return;
    case 'ConstantOfShape': {
      const value = node.attributes?.value;
      const dtype = value?.kind === 'tensor' ? value.value.dataType : TensorType.float;
      set(0, { dtype, dims: vals(0) });
      return;
    }
    case 'Expand': {
      const dims = broadcastDims(x().dims, vals(1));
      set(0, { dtype: x().dtype, dims });
      return;
    }
    case 'Range': {
      const [start, limit, delta] = [0, 1, 2].map((i) => get(i).values?.[0]);
      let n: number;
      if (start !== undefined && limit !== undefined && delta !== undefined) n = Math.max(0, Math.ceil((limit - start) / delta));
      else throw new ShapeError(`${node.name}: Range needs constant start, limit and delta`);
      set(0, { dtype: x().dtype, dims: [n], values: x().dtype === TensorType.int64 ? Array.from({ length: n }, (_, j) => start + j * delta) : undefined });
      return;
    }
    case 'LayerNormalization': {
      const rank = x().dims.length;
      const axis = normAxis(attr(node, 'axis', -1), rank);
      set(0, { dtype: x().dtype, dims: x().dims });
      const stat = x().dims.map((d, i) => (i < axis ? d : 1));
      set(1, { dtype: TensorType.float, dims: stat });
      set(2, { dtype: TensorType.float, dims: stat });
      return;
    }
    default:
      throw new ShapeError(`${node.name}: no shape rule for ${node.opType}`);
  }
}

/** Output dims of a Slice, and per axis [start, end, step] normalized as ONNX clamps them. */
export function sliceRanges(dims: number[], starts: number[], ends: number[], axesIn?: number[], stepsIn?: number[]): { dims: number[]; ranges: [number, number, number][] } {
  const rank = dims.length;
  const out = [...dims];
  const ranges: [number, number, number][] = dims.map((d) => [0, d, 1]);
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank));
  axes.forEach((axis, k) => {
    const d = dims[axis];
    const step = stepsIn?.[k] ?? 1;
    const clampIdx = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + d : v));
    const start = step > 0 ? clampIdx(starts[k], 0, d) : clampIdx(starts[k], -1, d - 1);
    const end = step > 0 ? clampIdx(ends[k], 0, d) : clampIdx(ends[k], -1, d - 1);
    out[axis] = Math.max(0, Math.ceil((end - start) / step));
    ranges[axis] = [start, end, step];
  });
  return { dims: out, ranges };
}
