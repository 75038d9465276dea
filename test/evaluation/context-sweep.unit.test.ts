// Fast tests of evaluation/context-sweep.ts with a fake ContextDecoder and a fake clock: the default points
// (geometric, ascending, capped), the cache filled to each context in chunks (prefill, then extend, never
// past the chunk nor past the attention budget), one step time per context (the fake's step time grows with
// its cache, so the figures must follow it), warm-up only at the first point, progress, cancel, refusals.

import { describe, expect, it } from 'vitest';
import { fakeClock, labError, oneHotRow } from './fakes';
import { chunkTokensFor, plannedContexts, runContextSweep, sweepContexts, type ContextDecoder, type SweepOptions, type SweepProgress } from '../../src/evaluation/context-sweep';

const clock = fakeClock(1000);
const VOCAB = 32;

/** A decoder whose cache length is tracked: a step takes 1 + cache/100 ms, a fill run `tokens / 10` ms. */
function fakeDecoder() {
  const log = { prefills: [] as number[][], extends: [] as number[][], stepsAt: [] as number[], cache: 0 };
  const decoder: ContextDecoder = {
    prefill: async (ids) => {
      log.prefills.push([...ids]);
      log.extends.push([]);
      log.cache = ids.length;
      clock.ms += ids.length / 10;
      return oneHotRow(VOCAB, (ids[ids.length - 1] + 1) % VOCAB, 0, 1);
    },
    extend: async (ids) => {
      if (log.cache === 0) throw new Error('extend before prefill');
      log.extends[log.extends.length - 1].push(ids.length);
      log.cache += ids.length;
      clock.ms += ids.length / 10;
      return oneHotRow(VOCAB, (ids[ids.length - 1] + 1) % VOCAB, 0, 1);
    },
    step: async (token) => {
      log.stepsAt.push(log.cache);
      clock.ms += 1 + log.cache / 100;
      log.cache += 1;
      return oneHotRow(VOCAB, (token + 1) % VOCAB, 0, 1);
    },
  };
  return { decoder, log };
}

const options = (o: Partial<SweepOptions> = {}): SweepOptions => ({ vocabSize: VOCAB, contextLength: 8192, ...o });

describe('sweepContexts', () => {
  it('spreads points geometrically from 16 to the cap, ascending, the cap last', () => {
    const c = sweepContexts(8192, 64, 4096, 10);
    expect(c).toHaveLength(10);
    expect(c[0]).toBe(16);
    expect(c[c.length - 1]).toBe(4096);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeGreaterThan(c[i - 1]);
    // geometric: each ratio ≈ (4096/16)^(1/9) ≈ 1.85
    for (let i = 1; i < c.length; i++) expect(c[i] / c[i - 1]).toBeGreaterThan(1.7);
    for (let i = 1; i < c.length; i++) expect(c[i] / c[i - 1]).toBeLessThan(2.0);
  });

  it('caps at the model limit minus the generated tokens; tiny limits give one point; duplicates dropped', () => {
    expect(sweepContexts(512, 4, 100000, 8).at(-1)).toBe(508);
    expect(sweepContexts(131072, 64, 4096, 10).at(-1)).toBe(4096);
    expect(sweepContexts(131072, 64, 131072, 10).at(-1)).toBe(131008);
    expect(sweepContexts(20, 8, 4096, 10)).toEqual([12]);
    expect(sweepContexts(8, 8, 4096, 10)).toEqual([]);
    const few = sweepContexts(64, 4, 24, 12); // 16..24 in 12 points: rounding collides
    expect(few).toEqual([...new Set(few)]);
    expect(few[0]).toBe(16);
    expect(few.at(-1)).toBe(24);
  });
});

describe('plannedContexts', () => {
  it('explicit contexts sorted and deduplicated; else the default points; refusals name what is wrong', () => {
    expect(plannedContexts({ contexts: [64, 16, 64], genTokens: 4 }, 512)).toEqual([16, 64]);
    expect(plannedContexts({ upToTokens: 256, points: 4, genTokens: 4 }, 512)).toEqual(sweepContexts(512, 4, 256, 4));
    expect(plannedContexts({}, 8192)).toEqual(sweepContexts(8192, 32, 4096, 10));
    expect(() => plannedContexts({ contexts: 16 as never }, 512)).toThrow('sweep: contexts must be a list of token counts');
    expect(() => plannedContexts({ contexts: [16, 2.5] }, 512)).toThrow('got 2.5');
    expect(() => plannedContexts({ points: 0 }, 512)).toThrow('points must be a whole number ≥ 1, got 0');
    expect(() => plannedContexts({ contexts: [509], genTokens: 4 }, 512)).toThrow("context 509 + 4 generated tokens exceeds the model's context of 512");
    expect(plannedContexts({ contexts: [508], genTokens: 4 }, 512)).toEqual([508]);
  });
});

describe('chunkTokensFor', () => {
  it('at most the chunk, the context, and heads × chunk × context within the budget, never below 1', () => {
    expect(chunkTokensFor(4096, 512)).toBe(512);
    expect(chunkTokensFor(100, 512)).toBe(100);
    expect(chunkTokensFor(4096, 512, 32, 2 ** 26)).toBe(512);
    expect(chunkTokensFor(131072, 512, 32, 2 ** 26)).toBe(16);
    expect(chunkTokensFor(131072, 512, 32, 100)).toBe(1);
  });
});

describe('runContextSweep', () => {
  it('fills the cache to each context (prefill, then extend chunks) and times G steps from exactly that length', async () => {
    const { decoder, log } = fakeDecoder();
    const r = await runContextSweep(decoder, { contexts: [40, 10, 40, 100], genTokens: 3, runs: 2, warmupRuns: 1 }, options({ maxChunkTokens: 32 }));
    expect(r.points.map((p) => p.contextTokens)).toEqual([10, 40, 100]); // sorted, duplicates dropped
    // warm-up (1) + 2 runs at 10, then 2 runs at 40 and at 100
    expect(log.prefills.map((p) => p.length)).toEqual([10, 10, 10, 32, 32, 32, 32]);
    expect(log.extends).toEqual([[], [], [], [8], [8], [32, 32, 4], [32, 32, 4]]);
    // every timed step starts at the point's context and runs G steps
    expect(log.stepsAt).toEqual([10, 11, 12, 10, 11, 12, 10, 11, 12, 40, 41, 42, 40, 41, 42, 100, 101, 102, 100, 101, 102]);
    // the fill uses the same ids as a prefix: the prompt at 100 starts with the prompt at 10
    expect(log.prefills[5].slice(0, 10)).toEqual(log.prefills[0]);
    // ms/token = mean of 1 + cache/100 over the G steps
    expect(r.points[0].msPerToken.median).toBeCloseTo(1.11, 10);
    expect(r.points[1].msPerToken.median).toBeCloseTo(1.41, 10);
    expect(r.points[2].msPerToken.median).toBeCloseTo(2.01, 10);
    expect(r.points[2].tokensPerS.median).toBeCloseTo(1000 / 2.01, 8);
    expect(r.points[2].fillMs.median).toBeCloseTo(10, 10);
    expect(r.points.map((p) => p.chunkTokens)).toEqual([10, 32, 32]);
    expect(r).toMatchObject({ genTokens: 3, runs: 2 });
  });

  it('median/min/max over the runs of a point', async () => {
    const { decoder } = fakeDecoder();
    let run = 0;
    const step = decoder.step;
    const extra = [0, 5, 1, 3]; // per run (warm-up first): extra ms per step
    const prefill = decoder.prefill;
    decoder.prefill = async (ids) => {
      run++;
      return prefill(ids);
    };
    decoder.step = async (t) => {
      clock.ms += extra[run - 1];
      return step(t);
    };
    const r = await runContextSweep(decoder, { contexts: [20], genTokens: 2, runs: 3, warmupRuns: 1 }, options());
    // base per step at 20, 21: 1.205 mean; the warm-up's +0 is not counted
    expect(r.points[0].msPerToken.median).toBeCloseTo(1.205 + 3, 10);
    expect(r.points[0].msPerToken.min).toBeCloseTo(1.205 + 1, 10);
    expect(r.points[0].msPerToken.max).toBeCloseTo(1.205 + 5, 10);
  });

  it('keeps heads × chunk × context within the budget', async () => {
    const { decoder, log } = fakeDecoder();
    await runContextSweep(decoder, { contexts: [64, 256], genTokens: 1, runs: 1, warmupRuns: 0 }, options({ maxChunkTokens: 512, numHeads: 4, maxChunkScores: 4 * 16 * 256 }));
    // at 256: chunk = 16; at 64: 64 (the budget allows 64 there)
    expect(log.prefills.map((p) => p.length)).toEqual([64, 16]);
    expect(log.extends[1]).toEqual(new Array(15).fill(16));
  });

  it('default points: geometric up to the cap, the generated tokens leaving room', async () => {
    const { decoder, log } = fakeDecoder();
    const r = await runContextSweep(decoder, { upToTokens: 256, points: 4, genTokens: 2, runs: 1, warmupRuns: 0 }, options({ contextLength: 512 }));
    expect(r.points.map((p) => p.contextTokens)).toEqual(sweepContexts(512, 2, 256, 4));
    expect(r.points.at(-1)?.contextTokens).toBe(256);
    expect(Math.max(...log.stepsAt) + 1).toBeLessThanOrEqual(512);
  });

  it('progress: warm-up at the first point only, then filling and decoding per run, point i of n', async () => {
    const events: SweepProgress[] = [];
    const { decoder } = fakeDecoder();
    await runContextSweep(decoder, { contexts: [8, 16], genTokens: 1, runs: 2, warmupRuns: 1 }, options({ onProgress: (p) => events.push({ ...p }) }));
    expect(events.map((e) => `${e.phase} ${e.point}/${e.points} @${e.contextTokens} run ${e.run}/${e.runs}`)).toEqual([
      'warmup 1/2 @8 run 1/1',
      'filling 1/2 @8 run 1/2',
      'decoding 1/2 @8 run 1/2',
      'filling 1/2 @8 run 2/2',
      'decoding 1/2 @8 run 2/2',
      'filling 2/2 @16 run 1/2',
      'decoding 2/2 @16 run 1/2',
      'filling 2/2 @16 run 2/2',
      'decoding 2/2 @16 run 2/2',
    ]);
  });

  it('cancel: before anything, and between fill chunks', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const { decoder, log } = fakeDecoder();
    expect((await labError(runContextSweep(decoder, { contexts: [8] }, options({ signal: aborted.signal })))).code).toBe('cancelled');
    expect(log.prefills).toHaveLength(0);
    const mid = new AbortController();
    const f = fakeDecoder();
    const extend = f.decoder.extend;
    f.decoder.extend = async (ids) => {
      mid.abort();
      return extend(ids);
    };
    expect((await labError(runContextSweep(f.decoder, { contexts: [100], genTokens: 1, runs: 1, warmupRuns: 0 }, options({ maxChunkTokens: 10, signal: mid.signal })))).code).toBe('cancelled');
    expect(f.log.extends[0]).toEqual([10]); // stopped after the first extend
    expect(f.log.stepsAt).toEqual([]);
  });

  it('refuses bad counts, contexts past the model, and too few ids, before running anything', async () => {
    const { decoder, log } = fakeDecoder();
    for (const req of [{ genTokens: 0 }, { runs: 0 }, { warmupRuns: -1 }, { runs: 1.5 }]) {
      const e = await labError(runContextSweep(decoder, { contexts: [8], ...req }, options()));
      expect(e.code).toBe('bad-argument');
    }
    expect((await labError(runContextSweep(decoder, { contexts: [0] }, options()))).message).toMatch(/whole numbers ≥ 1, got 0/);
    expect((await labError(runContextSweep(decoder, { contexts: [8, 500], genTokens: 16 }, options({ contextLength: 512 })))).message).toBe(
      "sweep: context 500 + 16 generated tokens exceeds the model's context of 512",
    );
    expect((await labError(runContextSweep(decoder, { upToTokens: 0 }, options()))).code).toBe('bad-argument');
    expect((await labError(runContextSweep(decoder, { genTokens: 8 }, options({ contextLength: 8 })))).message).toMatch(/no context fits/);
    expect((await labError(runContextSweep(decoder, { contexts: [8] }, options({ promptIds: [1, 2, 3] })))).message).toMatch(/only 3 prompt ids/);
    // exactly at the limit is allowed
    await runContextSweep(decoder, { contexts: [496], genTokens: 16, runs: 1, warmupRuns: 0 }, options({ contextLength: 512 }));
    expect(Math.max(...log.stepsAt)).toBe(511);
  });
});
