// Calibration windows: 'first' and seeded 'random' sampling, reproducibility, prefix property, errors.
import { describe, expect, it } from 'vitest';
import { calibrationWindows } from '../../src/pruning/calibration-data';

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
