// Whole-model and whole-block gradients: the NLL graph (plain weights, fold off) of stories260K, of a tiny
// Qwen-style Llama (q/k/v biases, GQA, two head sizes) and of a tiny GPT-2 (LayerNorm, gelu_new),
// differentiated with respect to every weight; and one calibration block graph of each family with
// respect to its input and weights. Oracle: the graph and its gradient graph rewritten to float64 on
// onnxruntime-node cpu, checked against central finite differences at two coordinates of every tensor;
// the float32 gradient graph (what training runs) then agrees with the float64 one.

import { beforeAll, describe, expect, it } from 'vitest';
import { addGradients } from '../../src/graph/autodiff/autodiff';
import { blockShape, blockWeightInputs, buildBlockModel, buildModelProto } from '../../src/graph/build-graph';
import type { ModelSpec } from '../../src/model/model-spec';
import { tinySpec } from '../oracles/reference-forward';
import { TensorType, type OnnxModel } from '../../src/graph/onnx-writer';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { LoadedModel } from '../../src/model/loaded-model';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createSessionFromModel, ort } from '../../src/runtime/ort';
import { toFloat64 } from '../helpers/float64-graph';
import { stories260KLayouts } from '../helpers/model-files';

let loaded: LoadedModel;
beforeAll(async () => {
  useNativeOrt();
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
});


const qwenLike = tinySpec({
  family: 'llama', qkvBias: true, seed: 11,
  layers: [
    { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 },
    { numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 24 },
  ],
});
const gpt2 = tinySpec({ family: 'gpt2', seed: 12, layers: [{ numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 32 }, { numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 32 }] });

type Weights = Map<string, { dims: number[]; data: Float32Array }>;

/** Moves every float initializer that is a weight to a graph input (so coordinates can be moved per run). */
function weightsAsInputs(graph: OnnxModel, keep: (name: string) => boolean): { model: OnnxModel; weights: Weights } {
  const weights: Weights = new Map();
  const initializers = graph.initializers.filter((t) => {
    if (t.dataType !== TensorType.float || t.dims.length === 0 || keep(t.name)) return true;
    weights.set(t.name, { dims: t.dims, data: t.data as Float32Array });
    return false;
  });
  return { model: { ...graph, initializers, inputs: [...graph.inputs, ...[...weights].map(([name, w]) => ({ name, elemType: TensorType.float, dims: w.dims }))] }, weights };
}

/** The NLL graph with loss = mean NLL over the batch. */
function nllLoss(spec: ModelSpec): { model: OnnxModel; weights: Weights } {
  const { model, weights } = weightsAsInputs(buildModelProto(spec, { purpose: 'nll', fold: false }), (n) => n.startsWith('rope.') || n.startsWith('const') || n === 'one');
  model.nodes = [...model.nodes, { opType: 'ReduceMean', name: '/loss/ReduceMean', inputs: ['nll'], outputs: ['loss'], attributes: { keepdims: { kind: 'int', value: 0 } } }];
  model.outputs = [{ name: 'loss', elemType: TensorType.float, dims: [] }];
  return { model, weights };
}

/** Gradient check of `model` (loss output 'loss') with respect to `weights`, other feeds fixed. */
async function checkGradients(model: OnnxModel, weights: Weights, fixedFeeds: Record<string, ort.Tensor>, inputDims: Record<string, number[]>): Promise<number> {
  const wrt = [...weights.keys()];
  const grad32 = addGradients(model, { loss: 'loss', wrt, inputDims });
  const grad64 = addGradients(toFloat64(model), { loss: 'loss', wrt, inputDims });
  const [s32, s64] = [await createSessionFromModel(grad32, { backend: 'cpu' }), await createSessionFromModel(grad64, { backend: 'cpu' })];
  const fixed64 = Object.fromEntries(Object.entries(fixedFeeds).map(([n, t]) => [n, t.type === 'float32' ? new ort.Tensor('float64', Float64Array.from(t.data as Float32Array), t.dims) : t]));
  const feeds64 = (moved?: { name: string; index: number; delta: number }) => {
    const feeds: Record<string, ort.Tensor> = { ...fixed64 };
    for (const [name, w] of weights) {
      const data = Float64Array.from(w.data);
      if (moved?.name === name) data[moved.index] += moved.delta;
      feeds[name] = new ort.Tensor('float64', data, w.dims);
    }
    return feeds;
  };
  const out64 = await s64.run(feeds64());
  const out32 = await s32.run({ ...fixedFeeds, ...Object.fromEntries([...weights].map(([n, w]) => [n, new ort.Tensor('float32', w.data, w.dims)])) });
  const loss = out64.loss.data[0] as number;
  expect(Number.isFinite(loss)).toBe(true);
  expect(Math.abs((out32.loss.data[0] as number) - loss)).toBeLessThan(1e-5 * (1 + Math.abs(loss)));

  // Two coordinates of every tensor: the largest-gradient one and one fixed by position.
  const h = 1e-5;
  let checked = 0;
  for (const name of wrt) {
    const g = out64[`grad.${name}`].data as Float64Array;
    let arg = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[arg])) arg = i;
    for (const index of new Set([arg, Math.floor(g.length / 3)])) {
      const plus = (await s64.run(feeds64({ name, index, delta: h }))).loss.data[0] as number;
      const minus = (await s64.run(feeds64({ name, index, delta: -h }))).loss.data[0] as number;
      const numeric = (plus - minus) / (2 * h);
      expect(Math.abs(g[index] - numeric), `${name}[${index}]: analytic ${g[index]}, numeric ${numeric}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      checked++;
    }
    // float32 training gradients against the float64 oracle, relative to the tensor's largest entry.
    const g32 = out32[`grad.${name}`].data as Float32Array;
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g32[i] - g[i]));
    expect(worst, name).toBeLessThanOrEqual(1e-3 * Math.abs(g[arg]) + 1e-7);
  }
  await s32.release();
  await s64.release();
  return checked;
}

describe('autodiff on whole models and blocks', () => {
  const [B, T] = [2, 12];
  const cases: [string, () => ModelSpec, number][] = [
    ['stories260K', () => loaded.spec, 5 * 9 + 2],
    ['a Qwen-style Llama (q/k/v biases, GQA)', () => qwenLike, 2 * 12 + 2],
    ['a GPT-2', () => gpt2, 2 * 12 + 4],
  ];
  for (const [name, spec, minWeights] of cases) {
    it(`${name}: float64 gradients of the mean NLL match central differences on every weight; float32 matches float64`, async () => {
      const s = spec();
      const { model, weights } = nllLoss(s);
      expect(weights.size).toBeGreaterThanOrEqual(minWeights);
      const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 37 + 11) % s.config.vocabSize));
      const checked = await checkGradients(model, weights, { input_ids: new ort.Tensor('int64', ids, [B, T]) }, { input_ids: [B, T] });
      expect(checked).toBeGreaterThanOrEqual(weights.size);
    }, 120_000);
  }

  for (const [name, spec] of [['Llama (q/k/v biases, GQA)', qwenLike], ['GPT-2', gpt2]] as const) {
    it(`one ${name} block: gradients with respect to its input and every weight`, async () => {
      const shape = blockShape(spec, 0);
      const block = buildBlockModel(shape, { stats: 'none' });
      const d = spec.config.hiddenSize;
      const [N, L] = [2, 5];
      // loss = Σ hidden_out ⊙ r, r fixed
      const r = Float32Array.from({ length: N * L * d }, (_, i) => Math.sin(i * 1.7));
      const model: OnnxModel = {
        ...block,
        initializers: [...block.initializers, { name: 'cotangent', dataType: TensorType.float, dims: [N, L, d], data: r }],
        nodes: [
          ...block.nodes,
          { opType: 'Mul', name: '/loss/Mul', inputs: ['hidden_out', 'cotangent'], outputs: ['weighted'] },
          { opType: 'ReduceSum', name: '/loss/ReduceSum', inputs: ['weighted'], outputs: ['loss'], attributes: { keepdims: { kind: 'int', value: 0 } } },
        ],
        outputs: [{ name: 'loss', elemType: TensorType.float, dims: [] }],
      };
      const weights: Weights = new Map();
      weights.set('hidden', { dims: [N, L, d], data: Float32Array.from({ length: N * L * d }, (_, i) => Math.cos(i * 0.37)) });
      for (const input of blockWeightInputs(spec, 0)) {
        const w = spec.weights.get(input.weight);
        weights.set(input.input, { dims: input.dims, data: w ? w.data : new Float32Array(input.dims.reduce((a, b) => a * b, 1)) });
      }
      const model2 = { ...model, inputs: model.inputs.map((i) => (weights.has(i.name) ? { ...i, dims: weights.get(i.name)!.dims } : i)) };
      const checked = await checkGradients(model2, weights, {}, { hidden: [N, L, d] });
      expect(checked).toBeGreaterThanOrEqual(weights.size);
    }, 120_000);
  }
});
