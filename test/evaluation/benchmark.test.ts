// Benchmark and generation loops on the real stories260K (shape of the statistics, not speed).
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchmark, stat, syntheticPrompt } from '../../src/evaluation/benchmark';
import { argmax, generateGreedy } from '../../src/evaluation/generate';
import { createEngine } from '../../src/runtime/engine';
import { loadStories260K } from '../oracles/stories260k';

const spec = loadStories260K();
const enginePromise = createEngine(spec, { backend: 'wasm' });
afterAll(async () => (await enginePromise).dispose());

describe('stat and helpers', () => {
  it('median/min/max of odd and even counts', () => {
    expect(stat([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(stat([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(argmax(Float32Array.of(0, 5, -1, 5))).toBe(1);
    const p = syntheticPrompt(50, 512);
    expect(p.every((id) => id >= 3 && id < 512)).toBe(true);
    expect(syntheticPrompt(50, 512)).toEqual(p);
  });
});

describe('runBenchmark', () => {
  it('times prefill and decode over runs after warm-up, with consistent tokens/s', async () => {
    const engine = await enginePromise;
    const phases: string[] = [];
    const r = await runBenchmark(engine, { promptTokens: 32, genTokens: 8, runs: 3, warmupRuns: 1 }, {
      vocabSize: spec.config.vocabSize, contextLength: spec.config.maxPositionEmbeddings, backend: 'wasm',
      onProgress: (p) => phases.push(p.phase),
    });
    expect(phases).toEqual(['warmup', 'prefill', 'decode', 'prefill', 'decode', 'prefill', 'decode']);
    for (const s of [r.prefillMs, r.decodeMsPerToken, r.prefillTokensPerS, r.decodeTokensPerS]) {
      expect(s.min).toBeGreaterThan(0);
      expect(s.min).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.max);
    }
    expect(r.prefillTokensPerS.max).toBeCloseTo((32 * 1000) / r.prefillMs.min, 6);
    expect(r.decodeTokensPerS.min).toBeCloseTo(1000 / r.decodeMsPerToken.max, 6);
    expect(engine.cacheLength).toBe(32 + 8);
  });

  it('refuses prompt + generation past the context', async () => {
    const engine = await enginePromise;
    await expect(runBenchmark(engine, { promptTokens: 500, genTokens: 64 }, { vocabSize: 512, contextLength: 512, backend: 'wasm' })).rejects.toMatchObject({ code: 'bad-argument' });
  });
});

describe('generateGreedy', () => {
  it('stops at an eos id without appending it', async () => {
    const engine = await enginePromise;
    const prompt = [1, 400, 261, 378];
    const free = await generateGreedy(engine, prompt, { maxNewTokens: 6, eosTokenIds: [], contextLength: 512 });
    const eos = free.tokenIds[prompt.length + 2]; // pretend the third new token is an end token
    const stopped = await generateGreedy(engine, prompt, { maxNewTokens: 6, eosTokenIds: [eos], contextLength: 512 });
    expect(stopped.stoppedBy).toBe('eos');
    expect(stopped.tokenIds).toEqual(free.tokenIds.slice(0, stopped.tokenIds.length));
    expect(stopped.newTokens).toBe(free.tokenIds.slice(prompt.length).indexOf(eos));
  });
});
