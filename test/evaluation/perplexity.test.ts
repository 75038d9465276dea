// Perplexity protocol on the real stories260K (first 20 windows) plus windowing, progress, cancel, errors.
import { afterAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { cutWindows, evaluatePerplexity, nextBatchSize } from '../../src/evaluation/perplexity';
import { createEngine } from '../../src/runtime/engine';
import { loadStories260K, tinyStoriesIds } from '../oracles/stories260k';

const enginePromise = createEngine(loadStories260K(), { backend: 'wasm', maxBatchTokens: 6 * 256 });
const ids = tinyStoriesIds();
afterAll(async () => (await enginePromise).dispose());

describe('cutWindows', () => {
  it('cuts non-overlapping windows and drops the remainder', () => {
    const w = cutWindows([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3);
    expect(w.map((x) => [...x])).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(cutWindows([0, 1, 2, 3, 4, 5, 6], 3, 1).length).toBe(1);
  });
});

describe('evaluatePerplexity on stories260K', () => {
  it('first 20 windows of 256 tokens give 3.9682 (within 1e-3 relative), with progress after every run', async () => {
    const engine = await enginePromise;
    const progress: number[] = [];
    const r = await evaluatePerplexity(engine, ids, { seqLen: 256, maxWindows: 20, textName: 'tinystories', onProgress: (p) => progress.push(p.windowsDone) });
    expect(Math.abs(r.ppl - 3.9682) / 3.9682).toBeLessThan(1e-3);
    expect(r.windows).toBe(20);
    expect(r.tokensScored).toBe(20 * 255);
    expect(r.windowsAvailable).toBe(1198);
    expect(r.textTokens).toBe(ids.length);
    expect(r.windowNlls.length).toBe(20);
    expect(Math.exp(r.windowNlls.reduce((a, b) => a + b, 0) / 20)).toBeCloseTo(r.ppl, 10);
    // One progress event per run; runs start at one window and never exceed the engine's cap (6).
    expect(progress[0]).toBe(1);
    expect(progress[progress.length - 1]).toBe(20);
    const steps = progress.map((n, i) => n - (i ? progress[i - 1] : 0));
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...steps)).toBeLessThanOrEqual(6);
    expect(r.backend).toBe('wasm');
  });

  it('stops with LabError cancelled when the signal fires between batches', async () => {
    const engine = await enginePromise;
    const controller = new AbortController();
    const run = evaluatePerplexity(engine, ids, { seqLen: 128, maxWindows: 40, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('rejects a text shorter than one window, naming it', async () => {
    const engine = await enginePromise;
    const err = await evaluatePerplexity(engine, ids.slice(0, 100), { seqLen: 256, textName: 'short.txt' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('bad-text');
    expect((err as LabError).message).toContain('short.txt');
  });
});

describe('nextBatchSize', () => {
  it('grows from one window while runs are fast, shrinks when far too slow, within [1, max]', () => {
    expect(nextBatchSize(1, 8, 10)).toBe(2);
    expect(nextBatchSize(4, 8, 10)).toBe(8);
    expect(nextBatchSize(8, 8, 10)).toBe(8);
    expect(nextBatchSize(4, 8, 600)).toBe(4);
    expect(nextBatchSize(4, 8, 5000)).toBe(2);
    expect(nextBatchSize(1, 8, 5000)).toBe(1);
  });
});
