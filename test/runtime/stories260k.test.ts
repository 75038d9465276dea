// The real stories260K: import check against both dropped ONNX layouts, and greedy generation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateGreedy } from '../../src/evaluation/generate';
import { createEngine } from '../../src/runtime/engine';
import { runReferenceLogits } from '../../src/runtime/reference-onnx';
import { GENAI_DIR, loadStories260K, loadStoriesTokenizer, STORIES_DIR, tinyStoriesIds } from '../oracles/stories260k';

const spec = loadStories260K();
const enginePromise = createEngine(spec, { backend: 'wasm' });
afterAll(async () => (await enginePromise).dispose());

function fileRef(dir: string, path: string) {
  return { path, blob: new Blob([readFileSync(join(dir, path))]) };
}

describe('import check: rebuilt graph vs the dropped ONNX', () => {
  const probe = tinyStoriesIds().slice(0, 48);
  it.each([
    ['Optimum layout', STORIES_DIR],
    ['genai layout (GroupQueryAttention)', GENAI_DIR],
  ])('%s: max |Δlogit| < 1e-4', async (_, dir) => {
    const engine = await enginePromise;
    const ours = await engine.logits(probe);
    const theirs = await runReferenceLogits({ file: fileRef(dir, 'onnx/model.onnx'), externalData: [] }, probe, 'wasm');
    expect(theirs.length).toBe(probe.length * spec.config.vocabSize);
    let maxAbs = 0;
    let maxLogit = 0;
    for (let i = 0; i < ours.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(ours[i] - theirs[i]));
      maxLogit = Math.max(maxLogit, Math.abs(theirs[i]));
    }
    expect(maxLogit).toBeGreaterThan(1); // real logits, not zeros
    expect(maxAbs).toBeLessThan(1e-4);
  });

  it('names the file when the dropped graph cannot be read', async () => {
    const bad = { file: { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array([1, 2, 3, 4])]) }, externalData: [] };
    await expect(runReferenceLogits(bad, [1, 2], 'wasm')).rejects.toThrow(/wasm session|onnx\/model\.onnx/);
  });
});

describe('greedy generation', () => {
  it('continues "Once upon a time" like the reference', async () => {
    const engine = await enginePromise;
    const tokenizer = loadStoriesTokenizer();
    const prompt = tokenizer.encode('Once upon a time').ids;
    const texts: string[] = [];
    const result = await generateGreedy(engine, prompt, {
      maxNewTokens: 40,
      eosTokenIds: spec.config.eosTokenIds,
      contextLength: spec.config.maxPositionEmbeddings,
      decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
      onProgress: (p) => texts.push(p.text),
    });
    const text = tokenizer.decode(result.tokenIds, { skip_special_tokens: true });
    expect(text.startsWith('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.')).toBe(true);
    expect(result.newTokens).toBe(40);
    expect(result.stoppedBy).toBe('max-new-tokens');
    expect(texts.length).toBe(40);
    expect(texts[39]).toBe(text);
    expect(engine.cacheLength).toBe(prompt.length + 39);
  });

  it('stops at the context length', async () => {
    const engine = await enginePromise;
    const prompt = tinyStoriesIds().slice(0, 505);
    const result = await generateGreedy(engine, prompt, { maxNewTokens: 40, eosTokenIds: [], contextLength: 512 });
    expect(result.stoppedBy).toBe('context');
    expect(result.tokenIds.length).toBe(512);
  });
});
