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
import { randomGpt2Files } from '../model/helpers';
import { loadWithTransformersJs, maxAbsDiff, writeFolder } from './onnx-helpers';

const [h, L, inner, vocab, positions] = [32, 3, 128, 50, 64];

async function randomGpt2(): Promise<LoadedModel> {
  return loadModelFromFiles(randomGpt2Files({ hidden: h, layers: L, inner, vocab, positions, seed: 7, scale: 0.3 }).files);
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
