// Built graphs (run in onnxruntime-web wasm) against the plain-TS oracle on tiny random specs.
import { describe, expect, it } from 'vitest';
import { fixedKvCacheSupported } from '../../src/graph/graph-parts';
import { createEngine } from '../../src/runtime/engine';
import { MIN_KV_CAPACITY } from '../../src/runtime/kv-cache';
import { referenceLogits, tinySpec, type TinySpecOptions } from '../oracles/reference-forward';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const ids = [1, 5, 9, 3, 17, 30, 2, 8, 11, 4, 39, 0];

const cases: [string, TinySpecOptions][] = [
  ['llama GQA tied', { family: 'llama', layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 }, { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 }] }],
  ['llama differing layers, untied', {
    family: 'llama', tied: false, seed: 7,
    layers: [
      { numHeads: 4, numKvHeads: 1, headDim: 6, intermediateSize: 20 },
      { numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 9 },
      { numHeads: 6, numKvHeads: 3, headDim: 4, intermediateSize: 31 },
    ],
  }],
  ['qwen2 q/k/v bias', { family: 'llama', qkvBias: true, seed: 3, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 12 }, { numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 12 }] }],
  ['gpt2 tied', { family: 'gpt2', seed: 5, layers: [{ numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 64 }, { numHeads: 2, numKvHeads: 2, headDim: 4, intermediateSize: 30 }] }],
  ['gpt2 untied', { family: 'gpt2', tied: false, seed: 9, layers: [{ numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 40 }] }],
  ['llama GQA head size 16', { family: 'llama', seed: 11, layers: [{ numHeads: 4, numKvHeads: 1, headDim: 16, intermediateSize: 20 }, { numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 9 }] }],
];

describe.each(cases)('%s', (_, specOptions) => {
  const spec = tinySpec(specOptions);
  const expected = referenceLogits(spec, ids);

  it.each([true, false])('logits match the oracle (fold=%s)', async (fold) => {
    const engine = await createEngine(spec, { backend: 'wasm', fold });
    const got = await engine.logits(ids);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
    await engine.dispose();
  });

  it('KV-cache incremental decode equals the full pass', async () => {
    const engine = await createEngine(spec, { backend: 'wasm' });
    expect(engine.kvCache.kind).toBe('growing'); // wasm's default
    const V = spec.config.vocabSize;
    const last = (t: number) => expected.subarray(t * V, (t + 1) * V);
    expect(maxAbsDiff(await engine.prefill(ids.slice(0, 5)), last(4))).toBeLessThan(1e-4);
    for (let t = 5; t < ids.length; t++) expect(maxAbsDiff(await engine.step(ids[t]), last(t))).toBeLessThan(1e-4);
    expect(engine.cacheLength).toBe(ids.length);
    expect(engine.sessionsCreated).toBe(1);
    await engine.dispose();
  });

  // GroupQueryAttention over fixed-capacity buffers (WebGPU's default), run here on wasm's kernel; it
  // takes head sizes that are multiples of 8 only, and a spec with another is refused by name.
  it.each([true, false])('fixed-capacity cache decode equals the full pass, or is refused for its head size (fold=%s)', async (fold) => {
    if (!fixedKvCacheSupported(spec)) {
      await expect(createEngine(spec, { backend: 'wasm', kvCache: 'fixed' })).rejects.toThrow(/head size to be a multiple of 8/);
      expect(spec.layers.some((l) => l.headDim % 8 !== 0)).toBe(true);
      return;
    }
    const engine = await createEngine(spec, { backend: 'wasm', fold, kvCache: 'fixed' });
    expect(engine.kvCache.kind).toBe('fixed');
    const V = spec.config.vocabSize;
    const last = (t: number) => expected.subarray(t * V, (t + 1) * V);
    expect(maxAbsDiff(await engine.prefill(ids.slice(0, 3)), last(2))).toBeLessThan(1e-4);
    expect(maxAbsDiff(await engine.extend(ids.slice(3, 6)), last(5))).toBeLessThan(1e-4);
    for (let t = 6; t < ids.length; t++) expect(maxAbsDiff(await engine.step(ids[t]), last(t))).toBeLessThan(1e-4);
    expect(engine.kvCache.capacity).toBe(Math.min(MIN_KV_CAPACITY, spec.config.maxPositionEmbeddings));
    await engine.dispose();
  });

  it('nll graph equals −log softmax of the oracle logits, batched', async () => {
    const engine = await createEngine(spec, { backend: 'wasm', maxBatchTokens: 2 * 6 });
    const windows = [Int32Array.from(ids.slice(0, 6)), Int32Array.from(ids.slice(6, 12)), Int32Array.from(ids.slice(3, 9))];
    const means = await engine.scoreWindows(windows);
    windows.forEach((w, r) => {
      const ref = referenceLogits(spec, [...w]);
      const V = spec.config.vocabSize;
      let sum = 0;
      for (let t = 0; t < w.length - 1; t++) {
        const row = ref.subarray(t * V, (t + 1) * V);
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        sum += lse - row[w[t + 1]];
      }
      expect(Math.abs(means[r] - sum / (w.length - 1))).toBeLessThan(1e-5);
    });
    await engine.dispose();
  });
});
