// The exported Hugging Face folder loads back through our loader with the same weights and the same
// perplexity: stories260K (llama, tied) as loaded and after SLEB / Wanda, and a random GPT-2 (c_attn
// fused back, Conv1D layout) with a block removed.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportConfig, exportHfFolder } from '../../src/export/hf-folder';
import { Lab } from '../../src/lab/lab';
import type { ExportedFile } from '../../src/lab/lab-api';
import { loadModelFromFiles } from '../../src/model/load-model';
import { gpt2Names, type ModelSpec } from '../../src/model/model-spec';
import { removeBlocks } from '../../src/pruning/apply-plan';
import { measureSparsity } from '../../src/pruning/sparsity';
import path from 'node:path';
import { stories260KDir, stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';
import { randomGpt2Files } from '../model/helpers';
import { expectSameArray } from '../helpers/same-array';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const evalText = { kind: 'file', name: 'heldout.txt', text: text.slice(-40_000) } as const;
const calibration = { text: { kind: 'file', name: 'calib.txt', text: text.slice(0, 60_000) } as const, windows: 8, seqLen: 128 };
const evaluation = { text: evalText, seqLen: 128, maxWindows: 6 };

async function header(files: ExportedFile[]): Promise<Record<string, { shape: number[]; dtype: string }>> {
  const bytes = new Uint8Array(await files.find((f) => f.path === 'model.safetensors')!.blob.arrayBuffer());
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}
const readJson = async (files: ExportedFile[], path: string) => JSON.parse(await files.find((f) => f.path === path)!.blob.text());

function sameWeights(a: ModelSpec, b: ModelSpec): void {
  expect([...b.weights.keys()].sort()).toEqual([...a.weights.keys()].sort());
  for (const [name, w] of a.weights) {
    expect(b.weights.get(name)!.shape, name).toEqual(w.shape);
    expectSameArray(b.weights.get(name)?.data, w.data, name);
  }
}

describe('stories260K export → reload', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  const reloaded = new Lab({ preferWebGpu: false, loadText: async () => text });
  beforeAll(async () => {
    await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
  });
  afterAll(async () => {
    await lab.dispose();
    await reloaded.dispose();
  });

  it('the loaded model: same files, same weights, same ppl', async () => {
    const files = await lab.exportModel({ which: 'loaded', format: 'safetensors' });
    expect(files.map((f) => f.path)).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'README.md']);
    const original = JSON.parse(fs.readFileSync(path.join(stories260KDir, 'config.json'), 'utf8'));
    expect(await readJson(files, 'config.json')).toEqual({ ...original, torch_dtype: 'float32' });
    expect(await readJson(files, 'tokenizer.json')).toEqual(JSON.parse(fs.readFileSync(path.join(stories260KDir, 'tokenizer.json'), 'utf8')));
    expect(Object.keys(await header(files))).not.toContain('lm_head.weight');
    await reloaded.loadModel(files);
    const a = await lab.evaluatePerplexity(evaluation);
    const b = await reloaded.evaluatePerplexity(evaluation);
    expect(b.windowNlls).toEqual(a.windowNlls);
  });

  it('after SLEB: fewer layers in config.json; the reloaded folder gives the pruned ppl', async () => {
    const r = await lab.prune({ methodId: 'sleb', params: { blocks: 1 }, calibration, evaluation });
    const files = await lab.exportModel({ which: 'pruned', format: 'safetensors' });
    expect((await readJson(files, 'config.json')).num_hidden_layers).toBe(4);
    const keys = Object.keys(await header(files));
    expect(keys.filter((k) => k.endsWith('q_proj.weight')).sort()).toEqual([0, 1, 2, 3].map((i) => `model.layers.${i}.self_attn.q_proj.weight`));
    const summary = await reloaded.loadModel(files);
    expect(summary.numLayers).toBe(4);
    expect(summary.parameters).toBe(r.parametersAfter);
    const after = await reloaded.evaluatePerplexity(evaluation);
    expect(Math.abs(after.ppl - r.pplAfter!.ppl) / r.pplAfter!.ppl).toBeLessThan(1e-6);
  });

  it('after Wanda: the zeros survive the round trip', async () => {
    const r = await lab.prune({ methodId: 'wanda', params: { sparsity: 0.5 }, calibration });
    const loaded = await loadModelFromFiles(await lab.exportModel({ which: 'pruned', format: 'safetensors' }));
    const s = measureSparsity(loaded.spec);
    expect(s.overall).toBe(r.overallSparsity);
    expect(s.perLayer).toEqual(r.layerSparsity);
  });
});

describe('GPT-2 export', () => {
  const [h, L, inner, vocab, positions] = [16, 3, 64, 40, 32];
  async function gpt2(): Promise<ModelSpec> {
    const m = await loadModelFromFiles(randomGpt2Files({ hidden: h, layers: L, inner, vocab, positions }).files);
    return m.spec;
  }
  const tokenizerJson = { model: { type: 'BPE', vocab: Object.fromEntries(Array.from({ length: vocab }, (_, i) => [`t${i}`, i])), merges: [] }, added_tokens: [] };

  it('fuses q/k/v back into c_attn [h, 3h] and reloads to identical weights, also with a block removed', async () => {
    const spec = await gpt2();
    const files = exportHfFolder({ spec, tokenizerJson, tokenizerConfig: {}, generationConfig: null });
    expect(files.map((f) => f.path)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    const head = await header(files);
    expect(head['transformer.h.0.attn.c_attn.weight'].shape).toEqual([h, 3 * h]);
    expect(head['transformer.h.0.mlp.c_fc.weight'].shape).toEqual([h, inner]);
    expect(head['transformer.h.0.attn.q_proj.weight']).toBeUndefined();
    sameWeights(spec, (await loadModelFromFiles(files)).spec);

    const shorter = removeBlocks(spec, [1]);
    const files2 = exportHfFolder({ spec: shorter, tokenizerJson, tokenizerConfig: {}, generationConfig: null });
    expect((await readJson(files2, 'config.json')).n_layer).toBe(2);
    const back = (await loadModelFromFiles(files2)).spec;
    sameWeights(shorter, back);
    expect(back.weights.get(gpt2Names.k(1))!.data).toEqual(spec.weights.get(gpt2Names.k(2))!.data);
  });

  it('refuses per-block sizes a config.json cannot express', async () => {
    const spec = await gpt2();
    const odd = { ...spec, layers: spec.layers.map((l, i) => (i === 1 ? { ...l, intermediateSize: 32 } : l)) };
    expect(() => exportConfig(odd, null)).toThrow(/block 1 has 4 heads, 4 kv heads, head_dim 4, FFN 32/);
  });
});
