// Every gradient rule (graph/autodiff/grad-rules.ts) against central finite differences, in float64 on
// onnxruntime-node cpu: a data-driven table of small graphs, each reduced to loss = Σ y ⊙ r with a fixed
// random cotangent r (so every element of the gradient is exercised), differentiated with respect to
// its float inputs. Tolerance: |analytic − numeric| ≤ 1e-6 · (1 + |numeric|) with h = 1e-5.

import { describe, expect, it } from 'vitest';
import { addGradients } from '../../src/graph/autodiff/autodiff';
import { inferShapes } from '../../src/graph/autodiff/shape-inference';
import { TensorType, type OnnxAttributeValue, type OnnxModel, type OnnxNode, type OnnxTensor, type TensorElemType } from '../../src/graph/onnx-writer';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createSessionFromModel, ort } from '../../src/runtime/ort';

useNativeOrt();

const D = TensorType.double;
type Attrs = Record<string, number | number[] | string>;
interface Case {
  name: string;
  /** Float inputs (differentiated): dims and how to draw values ('pos': in [0.5, 2]). */
  inputs: Record<string, { dims: number[]; range?: 'pos' | 'any' }>;
  /** Constant initializers (int64 shape/axes/indices, bool conditions, float exponents). */
  consts?: OnnxTensor[];
  /** Nodes computing `y` from the inputs. */
  nodes: [opType: string, inputs: string[], outputs: string[], attrs?: Attrs][];
  tolerance?: number;
  /** Finite-difference step (default 1e-5). */
  step?: number;
}

const i64 = (name: string, values: number[], dims = [values.length]): OnnxTensor => ({ name, dataType: TensorType.int64, dims, data: BigInt64Array.from(values, BigInt) });
const f64 = (name: string, values: number[], dims = [values.length]): OnnxTensor => ({ name, dataType: D, dims, data: Float64Array.from(values) });
const bool = (name: string, values: boolean[], dims: number[]): OnnxTensor => ({ name, dataType: TensorType.bool, dims, data: Uint8Array.from(values, Number) });

const CASES: Case[] = [
  { name: 'Add (broadcast [3] to [2,3])', inputs: { a: { dims: [2, 3] }, b: { dims: [3] } }, nodes: [['Add', ['a', 'b'], ['y']]] },
  { name: 'Sub (broadcast [2,1,3] − [4,1])', inputs: { a: { dims: [2, 1, 3] }, b: { dims: [4, 1] } }, nodes: [['Sub', ['a', 'b'], ['y']]] },
  { name: 'Mul (broadcast [2,3] · [2,1])', inputs: { a: { dims: [2, 3] }, b: { dims: [2, 1] } }, nodes: [['Mul', ['a', 'b'], ['y']]] },
  { name: 'Div (broadcast [2,3] / [3])', inputs: { a: { dims: [2, 3] }, b: { dims: [3], range: 'pos' } }, nodes: [['Div', ['a', 'b'], ['y']]] },
  { name: 'Pow (constant exponent 2)', inputs: { a: { dims: [2, 3], range: 'pos' } }, consts: [f64('two', [2], [])], nodes: [['Pow', ['a', 'two'], ['y']]] },
  { name: 'Pow (constant exponent −0.5)', inputs: { a: { dims: [5], range: 'pos' } }, consts: [f64('e', [-0.5], [])], nodes: [['Pow', ['a', 'e'], ['y']]] },
  { name: 'Sqrt', inputs: { a: { dims: [2, 3], range: 'pos' } }, nodes: [['Sqrt', ['a'], ['y']]] },
  { name: 'Reciprocal', inputs: { a: { dims: [2, 3], range: 'pos' } }, nodes: [['Reciprocal', ['a'], ['y']]] },
  { name: 'Neg', inputs: { a: { dims: [4] } }, nodes: [['Neg', ['a'], ['y']]] },
  { name: 'Exp', inputs: { a: { dims: [4] } }, nodes: [['Exp', ['a'], ['y']]] },
  { name: 'Log', inputs: { a: { dims: [4], range: 'pos' } }, nodes: [['Log', ['a'], ['y']]] },
  { name: 'Sigmoid', inputs: { a: { dims: [2, 3] } }, nodes: [['Sigmoid', ['a'], ['y']]] },
  { name: 'Tanh', inputs: { a: { dims: [2, 3] } }, nodes: [['Tanh', ['a'], ['y']]] },
  { name: 'Abs', inputs: { a: { dims: [2, 3] } }, nodes: [['Abs', ['a'], ['y']]] },
  { name: 'Relu', inputs: { a: { dims: [2, 3] } }, nodes: [['Relu', ['a'], ['y']]] },
  { name: 'Clip [−0.3, 0.4]', inputs: { a: { dims: [8] } }, consts: [f64('lo', [-0.3], []), f64('hi', [0.4], [])], nodes: [['Clip', ['a', 'lo', 'hi'], ['y']]] },
  { name: 'Identity', inputs: { a: { dims: [3] } }, nodes: [['Identity', ['a'], ['y']]] },
  { name: 'Sum of three (fan-in)', inputs: { a: { dims: [2, 3] }, b: { dims: [3] }, c: { dims: [2, 1] } }, nodes: [['Sum', ['a', 'b', 'c'], ['y']]] },
  { name: 'fan-out: a used twice', inputs: { a: { dims: [2, 3] } }, nodes: [['Mul', ['a', 'a'], ['t']], ['Add', ['t', 'a'], ['y']]] },
  { name: 'MatMul [3,4]·[4,5]', inputs: { a: { dims: [3, 4] }, b: { dims: [4, 5] } }, nodes: [['MatMul', ['a', 'b'], ['y']]] },
  { name: 'MatMul batched tokens [2,3,4]·[4,5] (weight gradient by one Gemm)', inputs: { a: { dims: [2, 3, 4] }, b: { dims: [4, 5] } }, nodes: [['MatMul', ['a', 'b'], ['y']]] },
  { name: 'MatMul batch-broadcast [2,2,3,4]·[2,1,4,3]', inputs: { a: { dims: [2, 2, 3, 4] }, b: { dims: [2, 1, 4, 3] } }, nodes: [['MatMul', ['a', 'b'], ['y']]] },
  ...[0, 1].flatMap((transA) =>
    [0, 1].map(
      (transB): Case => ({
        name: `Gemm transA=${transA} transB=${transB}, alpha 0.7, beta 1.3, bias [4]`,
        inputs: { a: { dims: transA ? [5, 3] : [3, 5] }, b: { dims: transB ? [4, 5] : [5, 4] }, c: { dims: [4] } },
        nodes: [['Gemm', ['a', 'b', 'c'], ['y'], { transA, transB, alpha: 0.7, beta: 1.3 }]],
      }),
    ),
  ),
  { name: 'ReduceSum axes [1] keepdims 0', inputs: { a: { dims: [2, 3, 4] } }, consts: [i64('axes', [1])], nodes: [['ReduceSum', ['a', 'axes'], ['y'], { keepdims: 0 }]] },
  { name: 'ReduceSum axes [0, 2] keepdims 1', inputs: { a: { dims: [2, 3, 4] } }, consts: [i64('axes', [0, 2])], nodes: [['ReduceSum', ['a', 'axes'], ['y']]] },
  { name: 'ReduceMean axes [−1] (attribute)', inputs: { a: { dims: [2, 3, 4] } }, nodes: [['ReduceMean', ['a'], ['y'], { axes: [-1] }]] },
  { name: 'ReduceSumSquare axes [1] keepdims 0', inputs: { a: { dims: [3, 4] } }, nodes: [['ReduceSumSquare', ['a'], ['y'], { axes: [1], keepdims: 0 }]] },
  { name: 'Softmax axis −1', inputs: { a: { dims: [2, 5] } }, nodes: [['Softmax', ['a'], ['y'], { axis: -1 }]] },
  { name: 'LogSoftmax axis −1', inputs: { a: { dims: [2, 5] } }, nodes: [['LogSoftmax', ['a'], ['y'], { axis: -1 }]] },
  {
    name: 'LayerNormalization over the last axis',
    inputs: { x: { dims: [2, 3, 6] }, s: { dims: [6] }, b: { dims: [6] } },
    nodes: [['LayerNormalization', ['x', 's', 'b'], ['y'], { axis: -1, epsilon: 1e-5 }]],
  },
  {
    name: 'RMSNorm as the builder writes it (Pow → ReduceMean → Add → Sqrt → Div → Mul)',
    inputs: { x: { dims: [2, 3, 6] }, w: { dims: [6] } },
    consts: [f64('two', [2], []), f64('eps', [1e-5], [])],
    nodes: [
      ['Pow', ['x', 'two'], ['sq']],
      ['ReduceMean', ['sq'], ['ms'], { axes: [-1] }],
      ['Add', ['ms', 'eps'], ['v']],
      ['Sqrt', ['v'], ['r']],
      ['Div', ['x', 'r'], ['n']],
      ['Mul', ['n', 'w'], ['y']],
    ],
  },
  { name: 'Reshape [2,3,4] → [6,4]', inputs: { a: { dims: [2, 3, 4] } }, consts: [i64('shape', [-1, 4])], nodes: [['Reshape', ['a', 'shape'], ['y']]] },
  { name: 'Transpose perm [0,2,1,3]', inputs: { a: { dims: [2, 3, 4, 2] } }, nodes: [['Transpose', ['a'], ['y'], { perm: [0, 2, 1, 3] }]] },
  { name: 'Concat of three on axis 1', inputs: { a: { dims: [2, 1] }, b: { dims: [2, 3] }, c: { dims: [2, 2] } }, nodes: [['Concat', ['a', 'b', 'c'], ['y'], { axis: 1 }]] },
  {
    name: 'Slice (axes [1, 2], negative start)',
    inputs: { a: { dims: [2, 5, 6] } },
    consts: [i64('st', [1, -4]), i64('en', [4, 100]), i64('ax', [1, 2])],
    nodes: [['Slice', ['a', 'st', 'en', 'ax'], ['y']]],
  },
  {
    name: 'Split [2, 3, 1] on axis 1, two parts used',
    inputs: { a: { dims: [2, 6] } },
    consts: [i64('split', [2, 3, 1]), i64('ax', [1])],
    nodes: [
      ['Split', ['a', 'split'], ['p0', 'p1', 'p2'], { axis: 1 }],
      ['Mul', ['p0', 'p0'], ['q0']],
      ['ReduceSum', ['p1', 'ax'], ['q1'], { keepdims: 1 }],
      ['Concat', ['q0', 'q1'], ['y'], { axis: 1 }],
    ],
  },
  { name: 'Squeeze / Unsqueeze', inputs: { a: { dims: [2, 1, 3] } }, consts: [i64('ax1', [1]), i64('ax0', [0])], nodes: [['Squeeze', ['a', 'ax1'], ['s']], ['Unsqueeze', ['s', 'ax0'], ['y']]] },
  {
    name: 'Where (constant condition, broadcast branches)',
    inputs: { a: { dims: [2, 3] }, b: { dims: [3] } },
    consts: [bool('cond', [true, false, true, false, false, true], [2, 3])],
    nodes: [['Where', ['cond', 'a', 'b'], ['y']]],
  },
  { name: 'Expand [3,1] → [2,3,4]', inputs: { a: { dims: [3, 1] } }, consts: [i64('shape', [2, 3, 4])], nodes: [['Expand', ['a', 'shape'], ['y']]] },
  {
    name: 'Gather axis 0 with repeated ids (embedding)',
    inputs: { e: { dims: [5, 3] } },
    consts: [i64('ids', [1, 4, 1, 0, 1, 3], [2, 3])],
    nodes: [['Gather', ['e', 'ids'], ['y'], { axis: 0 }]],
  },
  {
    name: 'GatherElements axis 2 (the loss picks targets)',
    inputs: { p: { dims: [2, 3, 5] } },
    consts: [i64('t', [4, 0, 2, 1, 1, 3], [2, 3, 1])],
    nodes: [['GatherElements', ['p', 't'], ['y'], { axis: 2 }]],
  },
  {
    name: 'Cast float64 → float32 → float64',
    inputs: { a: { dims: [4] } },
    nodes: [['Cast', ['a'], ['f'], { to: TensorType.float }], ['Cast', ['f'], ['y'], { to: D }]],
    step: 1e-2, // linear, so a large step is exact up to float32 rounding of the perturbed inputs
    tolerance: 1e-4,
  },
];

function attribute(v: number | number[] | string, name: string): OnnxAttributeValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'ints', value: v };
  return Number.isInteger(v) && !['alpha', 'beta', 'epsilon'].includes(name) ? { kind: 'int', value: v } : { kind: 'float', value: v };
}

/** Deterministic pseudo-random numbers in [lo, hi). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function buildCase(c: Case, seed: number): { model: OnnxModel; values: Record<string, Float64Array> } {
  const rand = lcg(seed);
  const values: Record<string, Float64Array> = {};
  for (const [name, { dims, range }] of Object.entries(c.inputs)) {
    const n = dims.reduce((a, b) => a * b, 1);
    values[name] = Float64Array.from({ length: n }, () => (range === 'pos' ? 0.5 + 1.5 * rand() : 2 * rand() - 1));
  }
  const nodes: OnnxNode[] = c.nodes.map(([opType, inputs, outputs, attrs], k) => ({
    opType,
    name: `/case/${opType}_${k}`,
    inputs,
    outputs,
    attributes: Object.fromEntries(Object.entries(attrs ?? {}).map(([key, v]) => [key, attribute(v, key)])),
  }));
  const base: OnnxModel = {
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    producerName: 'test',
    graphName: 'grad-case',
    nodes,
    initializers: [...(c.consts ?? [])],
    inputs: Object.entries(c.inputs).map(([name, { dims }]) => ({ name, elemType: D as TensorElemType, dims })),
    outputs: [],
  };
  const yDims = inferShapes(base).get('y')!.dims;
  const r = Float64Array.from({ length: yDims.reduce((a, b) => a * b, 1) }, () => 2 * rand() - 1);
  base.initializers.push(f64('cotangent', Array.from(r), yDims));
  base.nodes.push({ opType: 'Mul', name: '/case/loss_mul', inputs: ['y', 'cotangent'], outputs: ['weighted'] });
  base.nodes.push({ opType: 'ReduceSum', name: '/case/loss_sum', inputs: ['weighted'], outputs: ['loss'], attributes: { keepdims: { kind: 'int', value: 0 } } });
  base.outputs.push({ name: 'loss', elemType: D, dims: [] });
  return { model: base, values };
}

describe('gradient rules against central finite differences (float64)', () => {
  for (const [k, c] of CASES.entries()) {
    it(c.name, async () => {
      const { model, values } = buildCase(c, 1000 + k);
      const wrt = Object.keys(c.inputs);
      const graph = addGradients(model, { loss: 'loss', wrt });
      const session = await createSessionFromModel(graph, { backend: 'cpu' });
      const feeds = (v: Record<string, Float64Array>) => Object.fromEntries(wrt.map((n) => [n, new ort.Tensor('float64', v[n], c.inputs[n].dims)]));
      const out = await session.run(feeds(values));
      const h = c.step ?? 1e-5;
      const tol = c.tolerance ?? 1e-6;
      let checked = 0;
      for (const name of wrt) {
        const analytic = out[`grad.${name}`].data as Float64Array;
        expect(analytic.length, name).toBe(values[name].length);
        for (let j = 0; j < values[name].length; j++) {
          const at = async (delta: number) => {
            const moved = { ...values, [name]: Float64Array.from(values[name], (v, i) => (i === j ? v + delta : v)) };
            return (await session.run(feeds(moved))).loss.data[0] as number;
          };
          const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
          expect(Math.abs(analytic[j] - numeric), `${name}[${j}]: analytic ${analytic[j]}, numeric ${numeric}`).toBeLessThanOrEqual(tol * (1 + Math.abs(numeric)));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
      await session.release();
    });
  }
});
