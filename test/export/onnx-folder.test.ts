// The fp32 transformers.js folder: transformers.js (on onnxruntime-web wasm) loads it and generates
// exactly what our engine generates, with logits within 1e-4, for stories260K as loaded, with block 2
// removed, 50% sparse by row magnitude, and 50% Wanda; our importer reads the folder back to the same weights.

import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { exportTransformersJsFolder, transformersJsConfig } from '../../src/export/onnx-folder';
import { generateGreedy } from '../../src/evaluation/generate';
import type { LoadedModel } from '../../src/model/loaded-model';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { ModelSpec } from '../../src/model/model-spec';
import { hiddenChannelIndices, removeHiddenChannels } from '../../src/pruning/channels';
import { applyPlan, removeBlocks } from '../../src/pruning/apply-plan';
import { removeStructure } from '../../src/pruning/structure';
import { calibrationWindows } from '../../src/pruning/calibration-data';
import { wanda } from '../../src/pruning/methods/wanda';
import { measureSparsity } from '../../src/pruning/sparsity';
import { createCalibrationRunner } from '../../src/runtime/calibration-runner';
import { createEngine, type Engine } from '../../src/runtime/engine';
import { stories260KDir, stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';
import { asFileRefs, loadWithTransformersJs, maxAbsDiff, sparsify50, writeFolder } from './onnx-helpers';
import { expectSameArray } from '../helpers/same-array';

let loaded: LoadedModel;
let tokenizer: Tokenizer;
beforeAll(async () => {
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  tokenizer = new Tokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
});

/** Wanda at 50% (unstructured), calibrated on 8 windows of 128 tokens of TinyStories. */
async function wanda50(spec: ModelSpec): Promise<ModelSpec> {
  const runner = createCalibrationRunner({ backend: 'wasm' });
  try {
    const tokens = tokenizer.encode(fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 20_000)).ids;
    const windows = calibrationWindows(tokens, { count: 8, seqLen: 128, sampling: 'first', seed: 0 });
    const plan = await wanda.run({ spec, runner, windows }, { sparsity: 0.5, pattern: 'unstructured' });
    const pruned = applyPlan(spec, plan);
    expect(measureSparsity(pruned).overall).toBeCloseTo(0.5, 4);
    return pruned;
  } finally {
    await runner.dispose();
  }
}

const variants: [string, (s: ModelSpec) => ModelSpec | Promise<ModelSpec>][] = [
  ['as loaded', (s) => s],
  ['block 2 removed', (s) => removeBlocks(s, [2])],
  ['50% sparse', sparsify50],
  ['50% Wanda', wanda50],
  ['25% of the hidden channels removed', (s) => removeHiddenChannels(s, hiddenChannelIndices(s.config.hiddenSize, 0.25, 'uniform'), true)],
  // What movement pruning's uniform compile writes: one attention group and 43 FFN neurons fewer in every block.
  ['one attention group and 43 FFN neurons removed per block', (s) => removeStructure(s, s.layers.map((_, block) => ({ block, attentionGroups: [block % 4], neurons: Array.from({ length: 43 }, (_, i) => 4 * i + (block % 4)) })))],
];

describe.each(variants)('stories260K %s → fp32 transformers.js folder', (_, variant) => {
  let spec: ModelSpec;
  let engine: Engine;
  let dir: string;
  let files: ReturnType<typeof exportTransformersJsFolder>;
  beforeAll(async () => {
    spec = await variant(loaded.spec);
    engine = await createEngine(spec, { backend: 'wasm' });
    files = exportTransformersJsFolder(spec, loaded, { dtype: 'fp32' });
    dir = await writeFolder(files, 'stories-export');
  });
  afterAll(async () => {
    await engine.dispose();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('has the transformers.js layout and the block count in config.json', async () => {
    expect(files.map((f) => f.path)).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']);
    const config = JSON.parse(await files[0].blob.text());
    expect(config.num_hidden_layers).toBe(spec.layers.length);
    expect(config.model_type).toBe('llama');
  });

  it('transformers.js generates what our engine generates, logits within 1e-4', async () => {
    const theirs = await loadWithTransformersJs(dir, 'fp32');
    try {
      const prompt = tokenizer.encode('Once upon a time').ids;
      const ours = await generateGreedy(engine, prompt, { maxNewTokens: 40, eosTokenIds: spec.config.eosTokenIds, contextLength: spec.config.maxPositionEmbeddings });
      const newTokens = await theirs.generate(prompt, 40);
      expect(newTokens.length).toBeGreaterThan(10);
      expect(newTokens).toEqual(ours.tokenIds.slice(prompt.length));

      const probe = tokenizer.encode(fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 400)).ids.slice(0, 64);
      const [a, b] = [await engine.logits(probe), await theirs.logits(probe)];
      expect(b.length).toBe(probe.length * spec.config.vocabSize);
      expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(1);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
    } finally {
      await theirs.dispose();
    }
  });

  it('our importer reads the folder back: same weights, Optimum layout', async () => {
    const back = await loadModelFromFiles(asFileRefs(files));
    expect(back.source.layout).toBe('onnx-optimum');
    expect(back.source.weightsDtype).toBe('float32');
    expect(back.spec.layers).toEqual(spec.layers.map((l, i) => ({ ...l, sourceIndex: i })));
    expect([...back.spec.weights.keys()].sort()).toEqual([...spec.weights.keys()].sort());
    for (const [name, w] of spec.weights) expectSameArray(back.spec.weights.get(name)?.data, w.data, name);
  });
});

describe('config.json', () => {
  it('carries the dropped config with the new layer count', () => {
    const original = JSON.parse(fs.readFileSync(path.join(stories260KDir, 'config.json'), 'utf8'));
    const config = transformersJsConfig(removeBlocks(loaded.spec, [0, 3]), loaded.generationConfig);
    expect(config).toEqual({ ...original, num_hidden_layers: 3, torch_dtype: 'float32' });
  });

  it('refuses per-block shapes with a bad-argument that says why', () => {
    const spec = { ...loaded.spec, layers: loaded.spec.layers.map((l, i) => (i === 1 ? { ...l, intermediateSize: 100 } : l)) };
    const error = (() => {
      try {
        exportTransformersJsFolder(spec, loaded);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('bad-argument');
    expect((error as LabError).message).toMatch(/block 1 .*FFN 100.*cannot express per-block shapes/);
  });
});
