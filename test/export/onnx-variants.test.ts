// The fp16 and q4 graphs of the transformers.js folder, and external data: perplexity of the exported
// graphs run directly (onnxruntime-web wasm) against fp32 (8 windows of 256 on TinyStories), our importer
// reading them back, and transformers.js loading dtype 'fp16' / 'q4' and generating.

import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTransformersJsFolder, type OnnxFolderFile } from '../../src/export/onnx-folder';
import { quantize4 } from '../../src/export/onnx-rewrite';
import { float32ToFloat16 } from '../../src/export/safetensors-writer';
import { float16ToFloat32 } from '../../src/formats/dtype';
import { readOnnxModel } from '../../src/formats/onnx-reader';
import { generateGreedy } from '../../src/evaluation/generate';
import { dequantizeMatMulNBits } from '../../src/model/importers/matmul-nbits';
import type { LoadedModel } from '../../src/model/loaded-model';
import { loadModelFromFiles } from '../../src/model/load-model';
import { createEngine, type Engine } from '../../src/runtime/engine';
import { runReferenceLogits } from '../../src/runtime/reference-onnx';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';
import { asFileRefs, loadWithTransformersJs, maxAbsDiff, writeFolder } from './onnx-helpers';
import { expectSameArray } from '../helpers/same-array';

const WINDOWS = 8;
const SEQ = 256;

let loaded: LoadedModel;
let tokenizer: Tokenizer;
let engine: Engine;
let files: OnnxFolderFile[];
let dir: string;
let windows: number[][];
let fp32Ppl: number;

/** ppl over the windows from per-window logits [T, V] (positions 1..T−1 scored). */
async function perplexity(logitsOf: (ids: number[]) => Promise<Float32Array>, vocab: number): Promise<number> {
  let nll = 0;
  let count = 0;
  for (const ids of windows) {
    const logits = await logitsOf(ids);
    for (let t = 0; t + 1 < ids.length; t++) {
      const row = logits.subarray(t * vocab, (t + 1) * vocab);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      nll += Math.log(sum) + max - row[ids[t + 1]];
      count++;
    }
  }
  return Math.exp(nll / count);
}

const graphRef = (path: string) => ({ file: { path, blob: files.find((f) => f.path === path)!.blob }, externalData: [] });

beforeAll(async () => {
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  tokenizer = new Tokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
  engine = await createEngine(loaded.spec, { backend: 'wasm' });
  files = exportTransformersJsFolder(loaded.spec, loaded, { dtype: ['fp32', 'fp16', 'q4'] });
  dir = await writeFolder(files, 'stories-variants');
  const ids = tokenizer.encode(fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 20_000)).ids;
  windows = Array.from({ length: WINDOWS }, (_, w) => ids.slice(w * SEQ, (w + 1) * SEQ));
  expect(windows).toHaveLength(WINDOWS);
  expect(windows.every((w) => w.length === SEQ)).toBe(true);
  expect(loaded.spec.weights.size).toBe(5 * 9 + 2); // per block 2 norms + 7 linears; embedding, final norm
  fp32Ppl = await perplexity((x) => engine.logits(x), loaded.spec.config.vocabSize);
});
afterAll(async () => {
  await engine.dispose();
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe('fp16 and q4 graphs', () => {
  it('the folder holds the three graphs', () => {
    expect(files.map((f) => f.path).filter((p) => p.startsWith('onnx/'))).toEqual(['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx']);
    const size = (p: string) => files.find((f) => f.path === p)!.blob.size;
    expect(size('onnx/model_fp16.onnx')).toBeLessThan(size('onnx/model.onnx') * 0.6);
    expect(size('onnx/model_q4.onnx')).toBeLessThan(size('onnx/model.onnx') * 0.6);
  });

  it('fp16 declares a float16 KV cache and float32 logits; q4 uses MatMulNBits for every block linear', async () => {
    const fp16 = await readOnnxModel(graphRef('onnx/model_fp16.onnx').file);
    const type = (list: { name: string; elemType: number }[], name: string) => list.find((v) => v.name === name)?.elemType;
    expect(type(fp16.inputs, 'past_key_values.0.key')).toBe(10);
    expect(type(fp16.outputs, 'present.4.value')).toBe(10);
    expect(type(fp16.outputs, 'logits')).toBe(1);
    const q4 = await readOnnxModel(graphRef('onnx/model_q4.onnx').file);
    const nbits = q4.nodes.filter((n) => n.opType === 'MatMulNBits').map((n) => n.name);
    expect(nbits).toHaveLength(loaded.spec.layers.length * 7);
    expect(nbits).toContain('/model/layers.0/self_attn/q_proj/MatMul_Q4');
  });

  it('fp32 graph run directly: ppl equals our engine', async () => {
    const ppl = await perplexity((x) => runReferenceLogits(graphRef('onnx/model.onnx'), x, 'wasm'), loaded.spec.config.vocabSize);
    expect(fp32Ppl).toBeGreaterThan(2);
    expect(Math.abs(ppl / fp32Ppl - 1)).toBeLessThan(1e-5);
  });

  it('fp16 graph run directly: ppl within 1% of fp32', async () => {
    const ppl = await perplexity((x) => runReferenceLogits(graphRef('onnx/model_fp16.onnx'), x, 'wasm'), loaded.spec.config.vocabSize);
    console.log(`ppl fp32 ${fp32Ppl.toFixed(4)}, fp16 ${ppl.toFixed(4)}`);
    expect(Math.abs(ppl / fp32Ppl - 1)).toBeLessThan(0.01);
  });

  it('q4 graph run directly: ppl = our engine on the dequantized q4 weights (1e-5), within 20% of fp32', async () => {
    const ppl = await perplexity((x) => runReferenceLogits(graphRef('onnx/model_q4.onnx'), x, 'wasm'), loaded.spec.config.vocabSize);
    // The importer's dequantization is pinned to an independent one in the importer test below and in
    // onnx-q4.test.ts (logits within 1e-4 of onnxruntime); here the whole-protocol number must match.
    const q4 = await loadModelFromFiles(asFileRefs(files, (p) => !p.startsWith('onnx/') || p === 'onnx/model_q4.onnx'));
    const dequantized = await createEngine(q4.spec, { backend: 'wasm' });
    try {
      const ours = await perplexity((x) => dequantized.logits(x), loaded.spec.config.vocabSize);
      console.log(`ppl fp32 ${fp32Ppl.toFixed(4)}, q4 ${ppl.toFixed(4)}, ours on dequantized q4 ${ours.toFixed(4)}`);
      expect(Math.abs(ppl / ours - 1)).toBeLessThan(1e-5);
    } finally {
      await dequantized.dispose();
    }
    expect(Math.abs(ppl / fp32Ppl - 1)).toBeGreaterThan(1e-3);
    expect(Math.abs(ppl / fp32Ppl - 1)).toBeLessThan(0.2);
  });

  it('our importer reads fp16 back as the fp16-rounded weights, q4 as the dequantized weights', async () => {
    const fp16 = await loadModelFromFiles(asFileRefs(files, (p) => !p.startsWith('onnx/') || p === 'onnx/model_fp16.onnx'));
    expect(fp16.source.weightsDtype).toBe('float16');
    const q4 = await loadModelFromFiles(asFileRefs(files, (p) => !p.startsWith('onnx/') || p === 'onnx/model_q4.onnx'));
    expect(q4.source.weightsDtype).toBe('q4');
    for (const [name, w] of loaded.spec.weights) {
      expect(fp16.spec.weights.get(name)!.data, name).toEqual(w.data.map((v) => float16ToFloat32(float32ToFloat16(v))));
      const back = q4.spec.weights.get(name)!.data;
      if (!/_proj\.weight$/.test(name)) {
        expectSameArray(back, w.data, name);
        continue;
      }
      // Dequantize our own quantization of Wᵀ independently: the importer must give exactly that.
      const [n, k] = w.shape;
      const wT = new Float32Array(k * n);
      for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) wT[i * n + o] = w.data[o * k + i];
      const { packed, scales } = quantize4(wT, k, n, 32);
      expect(back, name).toEqual(dequantizeMatMulNBits({ n, k, bits: 4, blockSize: 32, packed, scales, zeroPoints: null }, name));
      const maxAbs = Math.max(...w.data.map(Math.abs));
      expect(maxAbsDiff(back, w.data)).toBeLessThan(maxAbs / 8);
    }
  });
});

describe('transformers.js loads dtype fp16 and q4', () => {
  it.each(['fp16', 'q4'] as const)('%s: generates a story; logits = the graph run directly', async (dtype) => {
    const theirs = await loadWithTransformersJs(dir, dtype);
    try {
      const prompt = tokenizer.encode('Once upon a time').ids;
      const newTokens = await theirs.generate(prompt, 30);
      const text = tokenizer.decode([...prompt, ...newTokens], { skip_special_tokens: true });
      console.log(`${dtype}: ${text}`);
      expect(newTokens.length).toBeGreaterThan(10);
      expect(text.startsWith('Once upon a time')).toBe(true);
      const probe = windows[0].slice(0, 64);
      const logits = await theirs.logits(probe);
      // transformers.js ran model_fp16.onnx / model_q4.onnx, not the fp32 graph:
      const direct = await runReferenceLogits(graphRef(`onnx/model_${dtype}.onnx`), probe, 'wasm');
      expect(maxAbsDiff(logits, direct)).toBeLessThan(1e-4);
      const fromFp32 = maxAbsDiff(logits, await engine.logits(probe));
      expect(fromFp32).toBeGreaterThan(0);
      if (dtype === 'fp16') expect(fromFp32).toBeLessThan(0.05);
    } finally {
      await theirs.dispose();
    }
  });
});

describe('external data', () => {
  it('over the threshold, weights go to onnx/model.onnx_data; it runs, reloads and is declared for transformers.js', async () => {
    const ext = exportTransformersJsFolder(loaded.spec, loaded, { dtype: 'fp32', externalDataThresholdBytes: 0 });
    expect(ext.map((f) => f.path).filter((p) => p.startsWith('onnx/'))).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data']);
    const config = JSON.parse(await ext[0].blob.text());
    expect(config['transformers.js_config']).toEqual({ use_external_data_format: { 'model.onnx': true } });
    const graph = ext.find((f) => f.path === 'onnx/model.onnx')!;
    const data = ext.find((f) => f.path === 'onnx/model.onnx_data')!;
    expect(graph.blob.size).toBeLessThan(data.blob.size / 10);
    expect(data.blob.size).toBeGreaterThan(loaded.spec.config.vocabSize * loaded.spec.config.hiddenSize * 4);

    const probe = windows[0].slice(0, 48);
    const logits = await runReferenceLogits({ file: graph, externalData: [data] }, probe, 'wasm');
    expect(maxAbsDiff(logits, await engine.logits(probe))).toBeLessThan(1e-4);

    const back = await loadModelFromFiles(asFileRefs(ext));
    for (const [name, w] of loaded.spec.weights) expectSameArray(back.spec.weights.get(name)?.data, w.data, name);

    const extDir = await writeFolder(ext, 'stories-external');
    const bytes = new Uint8Array(await data.blob.arrayBuffer());
    const theirs = await loadWithTransformersJs(extDir, 'fp32', [{ path: 'model.onnx_data', data: bytes }]);
    try {
      const prompt = tokenizer.encode('Once upon a time').ids;
      const ours = await generateGreedy(engine, prompt, { maxNewTokens: 20, eosTokenIds: loaded.spec.config.eosTokenIds, contextLength: 512 });
      expect(await theirs.generate(prompt, 20)).toEqual(ours.tokenIds.slice(prompt.length));
    } finally {
      await theirs.dispose();
      fs.rmSync(path.dirname(extDir), { recursive: true, force: true });
    }
  });
});
