// Calibration windows: 'first' and seeded 'random' sampling, reproducibility, prefix property, errors,
// window boundaries; the mulberry32 PRNG against its reference values.
import { describe, expect, it } from 'vitest';
import { calibrationWindows, mulberry32 } from '../../src/pruning/calibration-data';
import { thrown } from './helpers/errors';

const tokens = Array.from({ length: 1000 }, (_, i) => i);

describe('calibrationWindows', () => {
  it("'first' takes the first non-overlapping windows", () => {
    const w = calibrationWindows(tokens, { count: 3, seqLen: 100, sampling: 'first', seed: 0 });
    expect(w.map((x) => [x[0], x[99], x.length])).toEqual([[0, 99, 100], [100, 199, 100], [200, 299, 100]]);
  });
  it("'random' is reproducible from the seed, differs across seeds, and the first k of a larger set are the same", () => {
    const a = calibrationWindows(tokens, { count: 8, seqLen: 64, sampling: 'random', seed: 3 });
    const b = calibrationWindows(tokens, { count: 8, seqLen: 64, sampling: 'random', seed: 3 });
    const c = calibrationWindows(tokens, { count: 8, seqLen: 64, sampling: 'random', seed: 4 });
    const big = calibrationWindows(tokens, { count: 32, seqLen: 64, sampling: 'random', seed: 3 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(big.slice(0, 8)).toEqual(a);
    expect(big.length).toBe(32);
    for (const w of big) {
      expect(w.length).toBe(64);
      expect(w[0]).toBeGreaterThanOrEqual(0);
      expect(w[0]).toBeLessThanOrEqual(1000 - 64 - 1);
      expect(w[63] - w[0]).toBe(63); // contiguous
    }
  });
  it('names the text when it is too short', () => {
    expect(() => calibrationWindows(tokens, { count: 11, seqLen: 100, sampling: 'first', seed: 0, textName: 'story.txt' })).toThrow(
      /story\.txt: 1000 tokens is too short for 11 windows of 100 tokens/,
    );
    try {
      calibrationWindows(tokens.slice(0, 50), { count: 1, seqLen: 64, sampling: 'random', seed: 0 });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('bad-text');
    }
  });
});

describe('calibration window boundaries and the PRNG', () => {
  const tokens = Array.from({ length: 100 }, (_, i) => i);
  it('mulberry32 matches the reference sequence', () => {
    const r = mulberry32(1);
    expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    const s = mulberry32(42);
    expect([s(), s()]).toEqual([0.6011037519201636, 0.44829055899754167]);
  });
  it('random starts are floor(u·(N − seqLen)) with the seeded u', () => {
    const w = calibrationWindows(tokens, { count: 2, seqLen: 10, sampling: 'random', seed: 1 });
    expect([w[0][0], w[1][0]]).toEqual([Math.floor(0.6270739405881613 * 90), Math.floor(0.002735721180215478 * 90)]);
  });
  it('window count and length are validated', () => {
    for (const count of [0, 1.5]) expect(thrown(() => calibrationWindows(tokens, { count, seqLen: 10, sampling: 'first', seed: 0 }))).toMatchObject({ code: 'bad-argument', message: `calibration: window count must be an integer ≥ 1, got ${count}` });
    for (const seqLen of [1, 2.5]) expect(thrown(() => calibrationWindows(tokens, { count: 1, seqLen, sampling: 'first', seed: 0 }))).toMatchObject({ code: 'bad-argument', message: `calibration: window length must be an integer ≥ 2, got ${seqLen}` });
    expect(calibrationWindows(tokens, { count: 1, seqLen: 2, sampling: 'first', seed: 0 })[0]).toEqual(Int32Array.from([0, 1]));
  });
  it("'first' with exactly enough tokens works; one short fails with details", () => {
    expect(calibrationWindows(tokens, { count: 4, seqLen: 25, sampling: 'first', seed: 0 }).length).toBe(4);
    expect(thrown(() => calibrationWindows(tokens, { count: 3, seqLen: 34, sampling: 'first', seed: 0 }))).toMatchObject({
      code: 'bad-text',
      message: 'calibration text: 100 tokens is too short for 3 windows of 34 tokens (needs 102)',
      details: { tokens: 100, needed: 102 },
    });
  });
  it("'random' needs more than seqLen tokens", () => {
    expect(thrown(() => calibrationWindows(tokens, { count: 1, seqLen: 100, sampling: 'random', seed: 0, textName: 't.txt' }))).toMatchObject({
      code: 'bad-text',
      message: 't.txt: 100 tokens is too short for a random window of 100 tokens (needs more than 100)',
      details: { tokens: 100, needed: 101 },
    });
    const w = calibrationWindows(tokens, { count: 3, seqLen: 99, sampling: 'random', seed: 5 });
    for (const x of w) expect(x[0]).toBe(0); // N − seqLen = 1: the only start is 0
  });
});
