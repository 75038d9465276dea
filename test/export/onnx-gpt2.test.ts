// GPT-2 through the transformers.js ONNX export: a random GPT-2 (and the same with a block removed)
// loads in transformers.js and gives our engine's logits and greedy tokens.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportTransformersJsFolder } from '../../src/export/onnx-folder';
import { generateGreedy } from '../../src/evaluation/generate';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { LoadedModel } from '../../src/model/loaded-model';
import type { ModelSpec } from '../../src/model/model-spec';
import { removeBlocks } from '../../src/pruning/apply-plan';
import { createEngine } from '../../src/runtime/engine';
import { f32Bytes, randomFloats, refOf, writeSafetensors } from '../model/helpers';
import { loadWithTransformersJs, maxAbsDiff, writeFolder } from './onnx-helpers';

const [h, L, inner, vocab, positions] = [32, 3, 128, 50, 64];

async function randomGpt2(): Promise<LoadedModel> {
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  let seed = 7;
  const add = (name: string, shape: number[], scale = 0.3) => tensors.push({ name, shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), seed++, scale) });
  add('wte.weight', [vocab, h]);
  add('wpe.weight', [positions, h]);
  add('ln_f.weight', [h]);
  add('ln_f.bias', [h]);
  for (let i = 0; i < L; i++) {
    for (const p of ['ln_1', 'ln_2']) {
      add(`h.${i}.${p}.weight`, [h]);
      add(`h.${i}.${p}.bias`, [h]);
    }
    add(`h.${i}.attn.c_attn.weight`, [h, 3 * h]);
    add(`h.${i}.attn.c_attn.bias`, [3 * h]);
    add(`h.${i}.attn.c_proj.weight`, [h, h]);
    add(`h.${i}.attn.c_proj.bias`, [h]);
    add(`h.${i}.mlp.c_fc.weight`, [h, inner]);
    add(`h.${i}.mlp.c_fc.bias`, [inner]);
    add(`h.${i}.mlp.c_proj.weight`, [inner, h]);
    add(`h.${i}.mlp.c_proj.bias`, [h]);
  }
  const config = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: h, n_layer: L, n_head: 4, n_positions: positions, vocab_size: vocab, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
  const tokenizer = { model: { type: 'BPE', vocab: Object.fromEntries(Array.from({ length: vocab }, (_, i) => [`t${i}`, i])), merges: [] }, added_tokens: [] };
  return loadModelFromFiles([
    refOf('config.json', JSON.stringify(config)),
    refOf('tokenizer.json', JSON.stringify(tokenizer)),
    refOf('model.safetensors', writeSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, bytes: f32Bytes(t.data) })))),
  ]);
}

describe.each([
  ['as built', (s: ModelSpec) => s],
  ['block 1 removed', (s: ModelSpec) => removeBlocks(s, [1])],
])('random GPT-2 %s → transformers.js', (_, variant) => {
  it('same logits (1e-4) and greedy tokens as our engine; n_layer follows the blocks', async () => {
    const loaded = await randomGpt2();
    const spec = variant(loaded.spec);
    const files = exportTransformersJsFolder(spec, loaded, { dtype: 'fp32' });
    expect(JSON.parse(await files[0].blob.text()).n_layer).toBe(spec.layers.length);
    const dir = await writeFolder(files, 'gpt2-export');
    const engine = await createEngine(spec, { backend: 'wasm' });
    const theirs = await loadWithTransformersJs(dir, 'fp32');
    try {
      const probe = Array.from({ length: 20 }, (_, i) => (i * 7 + 3) % vocab);
      expect(maxAbsDiff(await engine.logits(probe), await theirs.logits(probe))).toBeLessThan(1e-4);
      const prompt = probe.slice(0, 5);
      const ours = await generateGreedy(engine, prompt, { maxNewTokens: 12, eosTokenIds: [], contextLength: positions });
      const generated = await theirs.generate(prompt, 12);
      expect(generated.length).toBeGreaterThan(0);
      expect(generated).toEqual(ours.tokenIds.slice(prompt.length, prompt.length + generated.length));
    } finally {
      await theirs.dispose();
      await engine.dispose();
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
