// Fast tests of evaluation/benchmark.ts with a fake Decoder and a fake clock: statistics (median of odd
// and even counts, numeric order), warm-up runs excluded, prefill vs decode split, tokens/s, the
// greedy feed of each step, progress, cancellation, defaults and argument errors.

import { describe, expect, it } from 'vitest';
import { fakeClock, labError, oneHotRow } from './fakes';
import { runBenchmark, stat, syntheticPrompt, type BenchmarkOptions } from '../../src/evaluation/benchmark';
import type { Decoder } from '../../src/evaluation/generate';
import type { BenchProgress } from '../../src/lab/lab-api';

const clock = fakeClock(5000);

const VOCAB = 16;
const oneHot = (id: number) => oneHotRow(VOCAB, id, -1, 2);

/**
 * Run r (0-based, warm-up included) takes prefillMs[r] for the prefill and stepMs[r] per step. The
 * model predicts (last token + 1) mod VOCAB, so the step feed is checkable.
 */
function fakeDecoder(prefillMs: number[], stepMs: number[]) {
  const calls: { prefills: number[][]; steps: number[][] } = { prefills: [], steps: [] };
  let run = -1;
  const decoder: Decoder = {
    prefill: async (ids) => {
      run++;
      calls.prefills.push([...ids]);
      calls.steps.push([]);
      clock.ms += prefillMs[run];
      return oneHot((ids[ids.length - 1] + 1) % VOCAB);
    },
    step: async (token) => {
      calls.steps[run].push(token);
      clock.ms += stepMs[run];
      return oneHot((token + 1) % VOCAB);
    },
  };
  return { decoder, calls };
}

const options = (o: Partial<BenchmarkOptions> = {}): BenchmarkOptions => ({ vocabSize: VOCAB, contextLength: 64, backend: 'fake', ...o });


describe('stat', () => {
  it('median of odd and even counts, min, max; numeric (not string) order; input untouched', () => {
    expect(stat([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(stat([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    const values = [10, 9, 100];
    expect(stat(values)).toEqual({ median: 10, min: 9, max: 100 });
    expect(values).toEqual([10, 9, 100]);
    expect(stat([7])).toEqual({ median: 7, min: 7, max: 7 });
    expect(stat([5, 1])).toEqual({ median: 3, min: 1, max: 5 });
  });
});

describe('syntheticPrompt', () => {
  it('is a fixed sequence of ids in [3, vocab)', () => {
    expect(syntheticPrompt(6, 512)).toEqual([110, 140, 272, 16, 443, 95]);
    expect(syntheticPrompt(3, 1000)).toEqual([107, 470, 941]);
    expect(syntheticPrompt(4, 3)).toEqual([3, 3, 3, 3]); // vocab ≤ 3: only id 3 (no modulo by 0)
    expect(syntheticPrompt(0, 512)).toEqual([]);
    const long = syntheticPrompt(200, 40);
    expect(long).toHaveLength(200);
    expect(long.every((id) => Number.isInteger(id) && id >= 3 && id < 40)).toBe(true);
  });
});

describe('runBenchmark', () => {
  it('times prefill and decode separately; warm-up runs are excluded; median/min/max over runs', async () => {
    // run 0 = warm-up (slow, must not count), then runs with prefill 10/30/20 ms and 2/6/4 ms per step
    const { decoder, calls } = fakeDecoder([1000, 10, 30, 20], [500, 2, 6, 4]);
    const r = await runBenchmark(decoder, { promptTokens: 5, genTokens: 3, runs: 3, warmupRuns: 1 }, options({ promptIds: [1, 2, 3, 4, 5, 6, 7] }));
    expect(calls.prefills).toHaveLength(4);
    expect(r.prefillMs).toEqual({ median: 20, min: 10, max: 30 });
    expect(r.decodeMsPerToken).toEqual({ median: 4, min: 2, max: 6 });
    expect(r.prefillTokensPerS).toEqual({ median: 250, min: 5000 / 30, max: 500 });
    expect(r.decodeTokensPerS).toEqual({ median: 250, min: 1000 / 6, max: 500 });
    expect(r).toMatchObject({ promptTokens: 5, genTokens: 3, runs: 3, backend: 'fake', adapter: null, isSoftwareAdapter: false });
  });

  it('prefills the first P prompt ids each run and steps G times with the argmax of the last logits', async () => {
    const { decoder, calls } = fakeDecoder([0, 0, 0], [0, 0, 0]);
    await runBenchmark(decoder, { promptTokens: 3, genTokens: 4, runs: 2, warmupRuns: 1 }, options({ promptIds: [9, 8, 7, 6] }));
    expect(calls.prefills).toEqual([[9, 8, 7], [9, 8, 7], [9, 8, 7]]);
    expect(calls.steps).toEqual([[8, 9, 10, 11], [8, 9, 10, 11], [8, 9, 10, 11]]);
  });

  it('progress: warm-up runs, then prefill and decode per timed run', async () => {
    const events: BenchProgress[] = [];
    const { decoder } = fakeDecoder([0, 0, 0, 0], [0, 0, 0, 0]);
    await runBenchmark(decoder, { promptTokens: 2, genTokens: 1, runs: 2, warmupRuns: 2 }, options({ onProgress: (p) => events.push({ ...p }) }));
    expect(events).toEqual([
      { run: 1, runs: 2, phase: 'warmup' },
      { run: 2, runs: 2, phase: 'warmup' },
      { run: 1, runs: 2, phase: 'prefill' },
      { run: 1, runs: 2, phase: 'decode' },
      { run: 2, runs: 2, phase: 'prefill' },
      { run: 2, runs: 2, phase: 'decode' },
    ]);
    const noWarm: BenchProgress[] = [];
    const { decoder: d2, calls } = fakeDecoder([0, 0, 0], [0, 0, 0]);
    await runBenchmark(d2, { promptTokens: 2, genTokens: 1, runs: 3, warmupRuns: 0 }, options({ onProgress: (p) => noWarm.push({ ...p }) }));
    expect(calls.prefills).toHaveLength(3);
    expect(noWarm.map((p) => `${p.phase}${p.run}/${p.runs}`)).toEqual(['prefill1/3', 'decode1/3', 'prefill2/3', 'decode2/3', 'prefill3/3', 'decode3/3']);
  });

  it('defaults: 128 prompt tokens (synthetic), 64 new, 5 runs after 1 warm-up; adapter info passed through', async () => {
    const { decoder, calls } = fakeDecoder(new Array(6).fill(1), new Array(6).fill(1));
    const r = await runBenchmark(decoder, {}, options({ contextLength: 192, vocabSize: 512, adapter: 'Acme GPU', isSoftwareAdapter: true }));
    expect(calls.prefills).toHaveLength(6);
    expect(calls.prefills[0]).toEqual(syntheticPrompt(128, 512));
    expect(calls.steps[5]).toHaveLength(64);
    expect(r).toMatchObject({ promptTokens: 128, genTokens: 64, runs: 5, adapter: 'Acme GPU', isSoftwareAdapter: true });
  });

  it('rejects bad counts, P + G past the context, and too few prompt ids', async () => {
    const { decoder, calls } = fakeDecoder([], []);
    for (const req of [{ promptTokens: 0 }, { genTokens: 0 }, { runs: 0 }, { warmupRuns: -1 }, { promptTokens: Number.NaN }]) {
      const e = await labError(runBenchmark(decoder, { promptTokens: 4, genTokens: 4, ...req }, options()));
      expect(e.code).toBe('bad-argument');
      expect(e.message).toBe('promptTokens, genTokens and runs must be ≥ 1');
    }
    const past = await labError(runBenchmark(decoder, { promptTokens: 60, genTokens: 5 }, options({ contextLength: 64 })));
    expect(past.code).toBe('bad-argument');
    expect(past.message).toBe("promptTokens + genTokens = 65 exceeds the model's context of 64");
    const few = await labError(runBenchmark(decoder, { promptTokens: 4, genTokens: 1 }, options({ promptIds: [1, 2, 3] })));
    expect(few.code).toBe('bad-argument');
    expect(few.message).toBe('only 3 prompt ids were given for 4 prompt tokens');
    expect(calls.prefills).toHaveLength(0);
    // exactly at the context is allowed
    const ok = fakeDecoder([0, 0], [0, 0]);
    await runBenchmark(ok.decoder, { promptTokens: 60, genTokens: 4, runs: 1 }, options({ contextLength: 64 }));
    expect(ok.calls.prefills).toHaveLength(2);
    // the smallest valid request: one prompt token, one new token, one run, no warm-up
    const least = fakeDecoder([3], [5]);
    const r = await runBenchmark(least.decoder, { promptTokens: 1, genTokens: 1, runs: 1, warmupRuns: 0 }, options({ promptIds: [4] }));
    expect(least.calls).toEqual({ prefills: [[4]], steps: [[5]] });
    expect(r.prefillMs).toEqual({ median: 3, min: 3, max: 3 });
    expect(r.decodeMsPerToken).toEqual({ median: 5, min: 5, max: 5 });
  });

  it('cancellation: before a run, and between decode steps', async () => {
    const c = new AbortController();
    c.abort();
    const { decoder, calls } = fakeDecoder([0], [0]);
    expect((await labError(runBenchmark(decoder, { promptTokens: 2, genTokens: 2 }, options({ signal: c.signal })))).code).toBe('cancelled');
    expect(calls.prefills).toHaveLength(0);
    const mid = new AbortController();
    const f = fakeDecoder([0, 0], [0, 0]);
    const step = f.decoder.step;
    f.decoder.step = async (t) => {
      if (f.calls.steps[0].length === 1) mid.abort();
      return step(t);
    };
    expect((await labError(runBenchmark(f.decoder, { promptTokens: 2, genTokens: 5, warmupRuns: 1 }, options({ signal: mid.signal })))).code).toBe('cancelled');
    expect(f.calls.steps[0]).toHaveLength(2);
    expect(f.calls.prefills).toHaveLength(1);
  });
});
