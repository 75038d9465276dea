// The weights hash that ties runs to a model (same weights from any layout hash alike; one changed
// weight changes it) and the prune job's side-by-side generation (dense text = Lab.generate's).

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import { weightsHash } from '../../src/lab/weights-hash';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const GREEDY = 'Once upon a time, there was a little girl named Lily.';

describe('weights hash', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  afterAll(() => lab.dispose());

  it('is a 64-hex SHA-256 that the ONNX folder and the safetensors checkpoint of stories260K share', async () => {
    const fromOnnx = await lab.loadModel(await stories260KLayouts['optimum ONNX folder']());
    const fromSafetensors = await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    expect(fromOnnx.weightsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(fromSafetensors.layout).toBe('safetensors');
    expect(fromSafetensors.weightsHash).toBe(fromOnnx.weightsHash);
  });

  it('changes when one weight changes by one ulp, or when a tensor is renamed', async () => {
    const { loadModelFromFiles } = await import('../../src/model/load-model');
    const loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
    const before = await weightsHash(loaded.spec);
    const name = 'model.layers.2.mlp.down_proj.weight';
    const weight = loaded.spec.weights.get(name)!;
    const bits = new Uint32Array(weight.data.buffer, weight.data.byteOffset, weight.data.length);
    bits[17] += 1;
    const nudged = await weightsHash(loaded.spec);
    expect(nudged).not.toBe(before);
    bits[17] -= 1;
    expect(await weightsHash(loaded.spec)).toBe(before);
    loaded.spec.weights.delete(name);
    loaded.spec.weights.set('model.layers.2.mlp.down_proj.weight.renamed', weight);
    expect(await weightsHash(loaded.spec)).not.toBe(before);
  });
});

describe('prune job generation', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  afterAll(() => lab.dispose());

  it('generates from the same prompt with the dense and the pruned model in the same run', async () => {
    await lab.loadModel(await stories260KLayouts['optimum ONNX folder']());
    const phases = new Set<string>();
    const request = { prompt: 'Once upon a time', maxNewTokens: 16 };
    const result = await lab.prune(
      { methodId: 'drop-blocks', params: { blocks: '2' }, calibration: { text: { kind: 'bundled', id: 'tinystories' } }, generation: request },
      { onProgress: (p) => phases.add(p.phase) },
    );
    expect(phases.has('generating')).toBe(true);
    const generation = result.generation!;
    expect(generation.prompt).toBe(request.prompt);
    expect(generation.dense.text.startsWith(GREEDY)).toBe(true);
    expect(generation.dense).toMatchObject({ text: (await lab.generate(request)).text, newTokens: 16 });
    // Block 2 removed: a different model, so a different continuation of the same prompt.
    expect(generation.pruned.text.startsWith(request.prompt)).toBe(true);
    expect(generation.pruned.tokenIds).not.toEqual(generation.dense.tokenIds);
    const without = await lab.prune({ methodId: 'drop-blocks', params: { blocks: '2' }, calibration: { text: { kind: 'bundled', id: 'tinystories' } } });
    expect(without.generation).toBeNull();
  });
});
