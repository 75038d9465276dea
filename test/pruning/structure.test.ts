// Removing attention groups and FFN neurons inside blocks (pruning/structure.ts): the smaller model gives
// the logits of the same model with those units masked (output projection columns zero), on the real
// stories260K (GQA: 8 query heads over 4 K/V heads), a Qwen-style Llama with q/k/v biases and two head
// sizes, and a GPT-2; per-layer sizes shrink; bad removals are refused; applyPlan applies it.

import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { ModelSpec } from '../../src/model/model-spec';
import { parameterCount } from '../../src/model/model-spec';
import { applyPlan, editWeights } from '../../src/pruning/apply-plan';
import { emptyPlan } from '../../src/pruning/plan';
import { removeStructure, structureMasks, type StructureRemoval } from '../../src/pruning/structure';
import { createEngine } from '../../src/runtime/engine';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';
import { tinySpec } from '../oracles/reference-forward';

let stories: ModelSpec;
let ids: number[];
beforeAll(async () => {
  useNativeOrt();
  const loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  stories = loaded.spec;
  ids = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig).encode(fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 400)).slice(0, 48);
});

async function logitsOf(spec: ModelSpec, tokens: number[]): Promise<Float32Array> {
  const engine = await createEngine(spec, { backend: 'cpu' });
  try {
    return await engine.logits(tokens);
  } finally {
    await engine.dispose();
  }
}

const qwenLike = () =>
  tinySpec({ family: 'llama', qkvBias: true, seed: 5, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 }, { numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 24 }] });
const gpt2 = () => tinySpec({ family: 'gpt2', seed: 6, layers: [{ numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 32 }, { numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 32 }] });

const cases: [string, () => ModelSpec, StructureRemoval[], () => number[]][] = [
  ['stories260K (GQA)', () => stories, [{ block: 0, attentionGroups: [1], neurons: [3, 7, 100] }, { block: 3, attentionGroups: [0, 2], neurons: [] }, { block: 4, attentionGroups: [], neurons: Array.from({ length: 86 }, (_, i) => 2 * i) }], () => ids],
  ['Qwen-style (biases, two head sizes)', qwenLike, [{ block: 0, attentionGroups: [0], neurons: [1, 2] }, { block: 1, attentionGroups: [1], neurons: [0] }], () => [1, 5, 9, 3, 22, 7, 30, 11]],
  ['GPT-2', gpt2, [{ block: 1, attentionGroups: [2, 3], neurons: [5, 6, 31] }], () => [1, 5, 9, 3, 22, 7, 30, 11]],
];

describe('removing attention groups and FFN neurons', () => {
  it.each(cases)('%s: removal gives the logits of masking (≤ 1e-5), and the sizes shrink', async (_name, make, removals, tokens) => {
    const spec = make();
    const removed = removeStructure(spec, removals);
    const masked = editWeights(spec, structureMasks(spec, removals), {});
    const [a, b] = [await logitsOf(removed, tokens()), await logitsOf(masked, tokens())];
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeLessThan(1e-5);
    // Something really changed: the masked model's logits differ from the original's.
    const original = await logitsOf(spec, tokens());
    expect(original.some((x, i) => Math.abs(x - b[i]) > 1e-4)).toBe(true);
    for (const r of removals) {
      const [before, after] = [spec.layers[r.block], removed.layers[r.block]];
      expect(after.numKvHeads).toBe(before.numKvHeads - r.attentionGroups.length);
      expect(after.numHeads).toBe(before.numHeads - (r.attentionGroups.length * before.numHeads) / before.numKvHeads);
      expect(after.intermediateSize).toBe(before.intermediateSize - r.neurons.length);
    }
    expect(parameterCount(removed)).toBeLessThan(parameterCount(spec));
  });

  it('applyPlan applies plan.structure before removing blocks (indices of the original spec)', () => {
    const plan = { ...emptyPlan('test', {}), removeBlocks: [0], structure: [{ block: 2, attentionGroups: [3], neurons: [0] }] };
    const out = applyPlan(stories, plan);
    expect(out.layers).toHaveLength(4);
    expect(out.layers[1]).toMatchObject({ numKvHeads: 3, numHeads: 6, intermediateSize: 171 });
    expect(out.weights.get('model.layers.1.self_attn.q_proj.weight')!.shape).toEqual([48, 64]);
    expect(out.weights.get('model.layers.1.self_attn.o_proj.weight')!.shape).toEqual([64, 48]);
  });

  it('refuses removing every group or neuron of a block, repeated or out-of-range indices', () => {
    expect(() => removeStructure(stories, [{ block: 0, attentionGroups: [0, 1, 2, 3], neurons: [] }])).toThrow(/block 0 attention groups: removing all 4/);
    expect(() => removeStructure(stories, [{ block: 0, attentionGroups: [4], neurons: [] }])).toThrow(/distinct integers in \[0, 3\]/);
    expect(() => removeStructure(stories, [{ block: 1, attentionGroups: [], neurons: [2, 2] }])).toThrow(/block 1 FFN neurons/);
    expect(() => removeStructure(stories, [{ block: 9, attentionGroups: [], neurons: [] }])).toThrow(/structure: block 9/);
  });
});
