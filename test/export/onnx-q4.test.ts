// The q4 export, pinned to the number: onnxruntime runs the exported onnx/model_q4.onnx, and our engine
// runs a ModelSpec whose block linears are the q4 weights DEQUANTIZED here, independently, straight
// from the MatMulNBits blobs (B uint8 [N, ⌈K/32⌉, 16], low nibble first; scales [N·⌈K/32⌉]; zero
// point 8). Their logits must agree within 1e-4: any error in quantization layout, scale, nibble order
// or zero point shows up as a logit difference far above that.

import fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTransformersJsFolder, type OnnxFolderFile } from '../../src/export/onnx-folder';
import { readOnnxModel } from '../../src/formats/onnx-reader';
import { tensorToFloat32, tensorToUint8 } from '../../src/formats/onnx-tensor';
import type { OnnxModel, OnnxNode } from '../../src/formats/onnx-types';
import type { LoadedModel } from '../../src/model/loaded-model';
import { loadModelFromFiles } from '../../src/model/load-model';
import { blockLinearNames, type ModelSpec, type WeightTensor } from '../../src/model/model-spec';
import { removeBlocks } from '../../src/pruning/apply-plan';
import { createEngine, type Engine } from '../../src/runtime/engine';
import { runReferenceLogits } from '../../src/runtime/reference-onnx';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';
import { maxAbsDiff } from './onnx-helpers';

const TOLERANCE = 1e-4;
const BLOCK = 32;

let loaded: LoadedModel;
let probes: number[][];
const engines: Engine[] = [];

beforeAll(async () => {
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  const tokenizer = new Tokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
  const ids = tokenizer.encode(fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 10_000)).ids;
  probes = [ids.slice(0, 128), ids.slice(128, 256), ids.slice(1000, 1040)];
  expect(probes.map((p) => p.length)).toEqual([128, 128, 40]);
});
afterAll(async () => {
  for (const e of engines) await e.dispose();
});

const attr = (node: OnnxNode, name: string) => {
  const a = node.attributes.find((x) => x.name === name);
  if (a?.i === undefined) throw new Error(`${node.name}: no int attribute ${name}`);
  return a.i;
};

/**
 * Test-side dequantization of every MatMulNBits node: weight [N, K] (= nn.Linear [out, in]) keyed by
 * the canonical name (`<prefix>.weight`, from the `<prefix>.weight_Q4` initializer).
 */
async function dequantizeGraph(file: OnnxFolderFile, expectedNodes: number): Promise<{ model: OnnxModel; weights: Map<string, WeightTensor & { scales: Float32Array; blocks: number }> }> {
  const model = await readOnnxModel({ path: file.path, blob: file.blob });
  const src = { model, file: { path: file.path, blob: file.blob }, allFiles: [] };
  const init = model.initializers;
  const weights = new Map<string, WeightTensor & { scales: Float32Array; blocks: number }>();
  const nodes = model.nodes.filter((n) => n.opType === 'MatMulNBits');
  expect(nodes).toHaveLength(expectedNodes);
  for (const node of nodes) {
    expect(node.domain).toBe('com.microsoft');
    expect(node.inputs).toHaveLength(3); // no zero_points: the zero point is 8
    const [K, N, bits, blockSize] = ['K', 'N', 'bits', 'block_size'].map((a) => attr(node, a));
    expect([bits, blockSize]).toEqual([4, BLOCK]);
    const blocks = Math.ceil(K / blockSize);
    const bT = init.get(node.inputs[1])!;
    const sT = init.get(node.inputs[2])!;
    expect(bT.dims).toEqual([N, blocks, blockSize / 2]);
    expect(sT.dims).toEqual([N * blocks]);
    const packed = await tensorToUint8(src, bT);
    const scales = await tensorToFloat32(src, sT);
    const data = new Float32Array(N * K);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const b = Math.floor(k / blockSize);
        const j = k % blockSize;
        const byte = packed[(n * blocks + b) * (blockSize / 2) + Math.floor(j / 2)];
        const q = j % 2 === 0 ? byte & 0x0f : byte >> 4;
        data[n * K + k] = (q - 8) * scales[n * blocks + b];
      }
    expect(bT.name.endsWith('.weight_Q4')).toBe(true);
    weights.set(bT.name.replace(/_Q4$/, ''), { shape: [N, K], data, scales, blocks });
  }
  return { model, weights };
}

async function checkQ4(spec: ModelSpec, label: string): Promise<void> {
  const files = exportTransformersJsFolder(spec, loaded, { dtype: 'q4' });
  const q4 = files.find((f) => f.path === 'onnx/model_q4.onnx')!;
  expect(q4).toBeDefined();
  const { weights } = await dequantizeGraph(q4, spec.layers.length * 7);
  const linears = spec.layers.flatMap((_, i) => blockLinearNames(spec, i));
  expect(linears).toHaveLength(spec.layers.length * 7);
  expect([...weights.keys()].sort()).toEqual([...linears].sort());
  const dequantized = new Map(spec.weights);
  let maxQuantError = 0;
  for (const name of linears) {
    const w = weights.get(name)!;
    const original = spec.weights.get(name)!;
    expect(w.shape, name).toEqual(original.shape);
    // Each dequantized entry is within one quantization step (its block's |scale|) of the original
    // (half a step when rounded, a full step only where +8 is clamped to 7).
    const [N, K] = w.shape;
    let worst = 0;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const step = Math.abs(w.scales[n * w.blocks + Math.floor(k / BLOCK)]);
        worst = Math.max(worst, Math.abs(w.data[n * K + k] - original.data[n * K + k]) / (step * (1 + 1e-6) + 1e-30));
      }
    expect(worst, name).toBeLessThanOrEqual(1);
    maxQuantError = Math.max(maxQuantError, maxAbsDiff(w.data, original.data));
    dequantized.set(name, { shape: w.shape, data: w.data });
  }
  expect(maxQuantError).toBeGreaterThan(1e-3); // the weights really changed (q4, not fp32)
  const engine = await createEngine({ ...spec, weights: dequantized }, { backend: 'wasm' });
  const fp32 = await createEngine(spec, { backend: 'wasm' });
  engines.push(engine, fp32);
  expect(probes.length).toBe(3);
  for (const probe of probes) {
    const theirs = await runReferenceLogits({ file: q4, externalData: [] }, probe, 'wasm');
    const ours = await engine.logits(probe);
    expect(ours.length).toBe(probe.length * spec.config.vocabSize);
    const diff = maxAbsDiff(ours, theirs);
    const fromFp32 = maxAbsDiff(await fp32.logits(probe), theirs);
    console.log(`${label} q4, ${probe.length} tokens: max |Δlogit| vs dequantized ${diff.toExponential(2)}, vs fp32 ${fromFp32.toExponential(2)}`);
    expect(fromFp32).toBeGreaterThan(100 * TOLERANCE); // quantization matters, so agreement above is not by accident
    expect(diff).toBeLessThan(TOLERANCE);
  }
}

describe('q4 export: onnxruntime on model_q4.onnx = our engine on the dequantized weights', () => {
  it('stories260K as loaded (K = 172 leaves a partial last block in down_proj)', async () => {
    await checkQ4(loaded.spec, 'stories260K');
  });

  it('stories260K with blocks 1 and 3 removed', async () => {
    const spec = removeBlocks(loaded.spec, [1, 3]);
    expect(spec.layers).toHaveLength(3);
    await checkQ4(spec, 'blocks 1, 3 removed');
  });
});
