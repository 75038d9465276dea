// Fast tests of evaluation/perplexity.ts with a fake WindowScorer (no model, no runtime) and a fake
// clock: window cutting (non-overlapping, remainder dropped), exp(mean NLL), batching, progress,
// cancellation and errors.

import { describe, expect, it } from 'vitest';
import { fakeClock, labError } from './fakes';
import { cutWindows, evaluatePerplexity, nextBatchSize, type WindowScorer } from '../../src/evaluation/perplexity';
import type { PerplexityProgress } from '../../src/lab/lab-api';

const clock = fakeClock(1000);

/**
 * A scorer whose "mean NLL over positions 1..L−1" of a window is a known function of exactly those
 * ids (mean of ids[1..L−1] / 100), so a test sees which windows, and which positions, were scored.
 * Each run advances the fake clock by `msPerWindow` per window.
 */
function fakeScorer(maxBatch = 4, msPerWindow = 1) {
  const batches: number[][][] = [];
  const perBatchArgs: number[] = [];
  const scorer: WindowScorer = {
    backend: 'fake-backend',
    windowsPerBatch: (L) => {
      perBatchArgs.push(L);
      return maxBatch;
    },
    scoreWindows: async (windows) => {
      batches.push(windows.map((w) => [...w]));
      clock.ms += msPerWindow * windows.length;
      return windows.map((w) => scoredMean(w));
    },
  };
  return { scorer, batches, perBatchArgs };
}
const scoredMean = (w: ArrayLike<number>) => {
  let s = 0;
  for (let t = 1; t < w.length; t++) s += w[t];
  return s / (w.length - 1) / 100;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);


describe('cutWindows', () => {
  it('non-overlapping windows of L in order, remainder dropped, as Int32Array', () => {
    const w = cutWindows(range(11), 3);
    expect(w).toHaveLength(3);
    expect(w.map((x) => [...x])).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(w.every((x) => x instanceof Int32Array)).toBe(true);
    expect(cutWindows(range(12), 3)).toHaveLength(4); // exact multiple keeps the last window
    expect(cutWindows(range(2), 3)).toHaveLength(0);
  });

  it('maxWindows caps the count from the start; a larger cap changes nothing', () => {
    expect(cutWindows(range(10), 2, 2).map((x) => [...x])).toEqual([[0, 1], [2, 3]]);
    expect(cutWindows(range(10), 2, 9)).toHaveLength(5);
    expect(cutWindows(range(10), 2)).toHaveLength(5);
  });
});

describe('nextBatchSize', () => {
  it('doubles below 300 ms up to the cap, halves above 1200 ms down to 1, else keeps', () => {
    expect(nextBatchSize(1, 8, 0)).toBe(2);
    expect(nextBatchSize(2, 8, 299.9)).toBe(4);
    expect(nextBatchSize(2, 8, 300)).toBe(2);
    expect(nextBatchSize(3, 4, 10)).toBe(4); // capped, not 6
    expect(nextBatchSize(4, 4, 10)).toBe(4);
    expect(nextBatchSize(8, 8, 1200)).toBe(8);
    expect(nextBatchSize(8, 8, 1200.1)).toBe(4);
    expect(nextBatchSize(2, 8, 5000)).toBe(1);
    expect(nextBatchSize(1, 8, 5000)).toBe(1);
  });
});

describe('evaluatePerplexity', () => {
  it('scores every whole window once, in order; ppl = exp(mean NLL); tokens = windows × (L−1)', async () => {
    const ids = range(53).map((i) => (i * 37) % 101); // 53 = 6 windows of 8, remainder 5 dropped
    const { scorer, batches, perBatchArgs } = fakeScorer(4);
    const r = await evaluatePerplexity(scorer, ids, { seqLen: 8, textName: 'story.txt' });
    const scored = batches.flat();
    expect(scored).toHaveLength(6);
    expect(scored).toEqual(range(6).map((w) => ids.slice(w * 8, w * 8 + 8)));
    expect(perBatchArgs).toEqual([8]);
    const expected = range(6).map((w) => scoredMean(ids.slice(w * 8, w * 8 + 8)));
    expect(r.windowNlls).toEqual(expected);
    const mean = expected.reduce((a, b) => a + b, 0) / 6;
    expect(r.nll).toBeCloseTo(mean, 14);
    expect(r.ppl).toBeCloseTo(Math.exp(mean), 14);
    expect(r).toMatchObject({ windows: 6, tokensScored: 42, seqLen: 8, windowsAvailable: 6, textTokens: 53, textName: 'story.txt', backend: 'fake-backend' });
  });

  it('mean NLL is over windows: unequal window means average, not sum', async () => {
    const ids = [0, 100, 0, 300]; // windows [0,100] and [0,300] → means 1 and 3
    const r = await evaluatePerplexity(fakeScorer().scorer, ids, { seqLen: 2 });
    expect(r.windowNlls).toEqual([1, 3]);
    expect(r.nll).toBe(2);
    expect(r.ppl).toBe(Math.exp(2));
    expect(r.tokensScored).toBe(2);
    expect(r.textName).toBe('text');
  });

  it('maxWindows takes the first windows; windowsAvailable still counts all', async () => {
    const { scorer, batches } = fakeScorer(8);
    const r = await evaluatePerplexity(scorer, range(40), { seqLen: 4, maxWindows: 3 });
    expect(batches.flat()).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(r).toMatchObject({ windows: 3, windowsAvailable: 10, tokensScored: 9, textTokens: 40 });
    expect((await evaluatePerplexity(scorer, range(40), { seqLen: 4, maxWindows: 1 })).windows).toBe(1);
  });

  it('batches start at one window and double while fast, never above windowsPerBatch', async () => {
    const { scorer, batches } = fakeScorer(4, 1);
    await evaluatePerplexity(scorer, range(30), { seqLen: 2 }); // 15 windows
    expect(batches.map((b) => b.length)).toEqual([1, 2, 4, 4, 4]);
  });

  it('a slow batch (> 1200 ms) halves the next one', async () => {
    const { scorer, batches } = fakeScorer(8, 700); // a batch of 2 takes 1400 ms
    await evaluatePerplexity(scorer, range(14), { seqLen: 2 }); // 7 windows
    expect(batches.map((b) => b.length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const fastThenSlow = fakeScorer(8, 0);
    let runs = 0;
    fastThenSlow.scorer.scoreWindows = async (w) => {
      clock.ms += ++runs === 3 ? 5000 : 0;
      fastThenSlow.batches.push(w.map((x) => [...x]));
      return w.map(() => 0);
    };
    await evaluatePerplexity(fastThenSlow.scorer, range(40), { seqLen: 2 }); // 20 windows
    expect(fastThenSlow.batches.map((b) => b.length)).toEqual([1, 2, 4, 2, 4, 7]);
  });

  it('progress after every run: windows done, total, tokens scored, running NLL and ppl', async () => {
    const ids = [0, 0, 200, 0, 0, 600, 0, 0, 1000, 0, 0, 1400]; // windows of 3: means 1, 3, 5, 7
    const events: PerplexityProgress[] = [];
    await evaluatePerplexity(fakeScorer(2).scorer, ids, { seqLen: 3, onProgress: (p) => events.push(p) });
    expect(events).toEqual([
      { windowsDone: 1, windows: 4, tokensScored: 2, runningNll: 1, runningPpl: Math.exp(1) },
      { windowsDone: 3, windows: 4, tokensScored: 6, runningNll: 3, runningPpl: Math.exp(3) },
      { windowsDone: 4, windows: 4, tokensScored: 8, runningNll: 4, runningPpl: Math.exp(4) },
    ]);
  });

  it('elapsed time and tokens/s come from the clock around the scoring', async () => {
    const r = await evaluatePerplexity(fakeScorer(4, 500).scorer, range(20), { seqLen: 5 }); // 4 windows, 2 s
    expect(r.elapsedMs).toBe(2000);
    expect(r.tokensScoredPerS).toBe(8);
  });

  it('rejects a window length that is not an integer ≥ 2', async () => {
    for (const seqLen of [1, 0, -3, 2.5, Number.NaN]) {
      const e = await labError(evaluatePerplexity(fakeScorer().scorer, range(10), { seqLen }));
      expect(e.code).toBe('bad-argument');
      expect(e.message).toBe(`window length must be an integer ≥ 2, got ${seqLen}`);
    }
    expect((await evaluatePerplexity(fakeScorer().scorer, range(10), { seqLen: 2 })).windows).toBe(5);
  });

  it('rejects maxWindows < 1', async () => {
    for (const maxWindows of [0, -1, 0.5, Number.NaN]) {
      const e = await labError(evaluatePerplexity(fakeScorer().scorer, range(10), { seqLen: 2, maxWindows }));
      expect(e.code).toBe('bad-argument');
      expect(e.message).toBe(`maxWindows must be ≥ 1, got ${maxWindows}`);
    }
  });

  it('a text shorter than one window is bad-text naming it; exactly one window is fine', async () => {
    const e = await labError(evaluatePerplexity(fakeScorer().scorer, range(7), { seqLen: 8, textName: 'tiny.txt' }));
    expect(e.code).toBe('bad-text');
    expect(e.message).toBe('tiny.txt: 7 tokens is shorter than one window of 8 tokens');
    const unnamed = await labError(evaluatePerplexity(fakeScorer().scorer, [], { seqLen: 2 }));
    expect(unnamed.message).toBe('text: 0 tokens is shorter than one window of 2 tokens');
    expect((await evaluatePerplexity(fakeScorer().scorer, range(8), { seqLen: 8 })).windows).toBe(1);
  });

  it('cancelled before the first run: nothing is scored', async () => {
    const { scorer, batches } = fakeScorer();
    const c = new AbortController();
    c.abort();
    const e = await labError(evaluatePerplexity(scorer, range(10), { seqLen: 2, signal: c.signal }));
    expect(e.code).toBe('cancelled');
    expect(batches).toHaveLength(0);
  });

  it('cancelled between runs stops before the next run; cancelled during the last run still rejects', async () => {
    const { scorer, batches } = fakeScorer(1);
    const c = new AbortController();
    const e = await labError(evaluatePerplexity(scorer, range(10), { seqLen: 2, signal: c.signal, onProgress: (p) => p.windowsDone === 2 && c.abort() }));
    expect(e.code).toBe('cancelled');
    expect(batches).toHaveLength(2);
    const last = new AbortController();
    const e2 = await labError(evaluatePerplexity(fakeScorer(8).scorer, range(4), { seqLen: 2, signal: last.signal, onProgress: (p) => p.windowsDone === p.windows && last.abort() }));
    expect(e2.code).toBe('cancelled');
  });
});

describe('a non-finite loss is an error, never "ppl": null (issue 14)', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY])('a window loss of %s fails naming the text, the window and the likely causes', async (bad) => {
    const scorer: WindowScorer = {
      backend: 'fake-backend',
      windowsPerBatch: () => 1,
      scoreWindows: async (windows) => windows.map((w) => (w[0] === 16 ? bad : 2)),
    };
    const ids = Array.from({ length: 40 }, (_, i) => i);
    await expect(evaluatePerplexity(scorer, ids, { seqLen: 8, textName: 'story.txt' })).rejects.toMatchObject({
      code: 'non-finite',
      message: expect.stringMatching(new RegExp(`^story\\.txt: window 3 gave a loss of ${bad}: .*NaN or infinite weights, a config value .*fp16 overflow`)),
    });
  });
});
