// Mask builders on synthetic scores: per-matrix threshold with ties, per-row counts, N:M groups.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/pruning/calibration-data';
import { checkNMShape, countZeros, cumulativeRowZeros, nmMask, parsePattern, perMatrixMask, perRowMask, uniformRowZeros } from '../../../src/pruning/row-wise/masks';
import { thrown } from '../helpers/errors';

const random = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => r());
};

describe('perMatrixMask', () => {
  it('zeros every score ≤ the value at index int(numel·s), all below the kept ones', () => {
    const scores = random(1000, 1);
    const mask = perMatrixMask(scores, 0.37);
    expect(countZeros(mask)).toBe(370 + 1); // indices 0..370 of the sorted scores are ≤ sorted[370]
    let maxZeroed = -Infinity;
    let minKept = Infinity;
    scores.forEach((v, i) => (mask[i] ? (minKept = Math.min(minKept, v)) : (maxZeroed = Math.max(maxZeroed, v))));
    expect(maxZeroed).toBeLessThan(minKept);
  });
  it('ties at the threshold push sparsity above s', () => {
    expect(Array.from(perMatrixMask([1, 2, 2, 2, 3, 4], 0.3))).toEqual([0, 0, 0, 0, 1, 1]); // sorted[1] = 2
  });
  it('s = 0 keeps everything', () => expect(countZeros(perMatrixMask(random(50, 2), 0))).toBe(0));
});

describe('perRowMask', () => {
  it('every row gets exactly int(d_in·s) zeros, the smallest of that row', () => {
    const rows = 7, cols = 33, s = 0.45;
    const scores = random(rows * cols, 3);
    const mask = perRowMask(scores, rows, cols, uniformRowZeros(rows, cols, s));
    for (let r = 0; r < rows; r++) {
      const row = Array.from(scores.subarray(r * cols, (r + 1) * cols));
      const m = mask.subarray(r * cols, (r + 1) * cols);
      expect(countZeros(m)).toBe(Math.floor(cols * s));
      const kept = row.filter((_, j) => m[j]);
      const zeroed = row.filter((_, j) => !m[j]);
      expect(Math.max(...zeroed)).toBeLessThan(Math.min(...kept));
    }
  });
  it('ties are broken by the lower index (stable sort)', () => {
    expect(Array.from(perRowMask([5, 5, 5, 5], 1, 4, [2]))).toEqual([0, 0, 1, 1]);
  });
});

describe('cumulativeRowZeros', () => {
  it('equal integer targets give exactly those integers (λ_row = 0 reproduces the block step)', () => {
    expect(Array.from(cumulativeRowZeros(64, new Array(10).fill(0.5)))).toEqual(new Array(10).fill(32));
  });
  it('rows get floor or ceil of their target and the total is the rounded sum', () => {
    const s = Array.from(random(100, 4), (v) => 0.3 + 0.4 * v);
    const counts = cumulativeRowZeros(64, s);
    expect(counts.length).toBe(100);
    counts.forEach((c, r) => expect(Math.abs(c - 64 * s[r])).toBeLessThan(1));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(Math.round(s.reduce((a, b) => a + 64 * b, 0)));
  });
});

describe('nmMask', () => {
  it('2:4: every aligned group of 4 loses its 2 smallest', () => {
    const rows = 5, cols = 16;
    const scores = random(rows * cols, 5);
    const mask = nmMask(scores, rows, cols, parsePattern('2:4')!);
    for (let r = 0; r < rows; r++)
      for (let g = 0; g < cols; g += 4) {
        const idx = [0, 1, 2, 3].map((t) => r * cols + g + t);
        const zeroed = idx.filter((i) => !mask[i]).map((i) => scores[i]);
        const kept = idx.filter((i) => mask[i]).map((i) => scores[i]);
        expect(zeroed.length).toBe(2);
        expect(Math.max(...zeroed)).toBeLessThan(Math.min(...kept));
      }
  });
  it('rejects malformed patterns', () => {
    expect(() => parsePattern('4:2')).toThrow(/N < M/);
    expect(() => parsePattern('dense')).toThrow(/unstructured/);
    expect(parsePattern('unstructured')).toBeNull();
  });
});

describe('perRowMask equals a stable ascending sort', () => {
  it('zeros the same entries as sorting (score, index) pairs, ties included', () => {
    const rows = 40;
    const cols = 37;
    let x = 17;
    const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    // Few distinct values, so most rows have many ties.
    const scores = Float32Array.from({ length: rows * cols }, () => Math.floor(next() * 6) / 4);
    const counts = Int32Array.from({ length: rows }, (_, r) => r % (cols + 1));
    const mask = perRowMask(scores, rows, cols, counts);
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: cols }, (_, j) => j).sort((a, b) => scores[r * cols + a] - scores[r * cols + b] || a - b);
      const expected = new Uint8Array(cols).fill(1);
      for (const j of order.slice(0, counts[r])) expected[j] = 0;
      expect(Array.from(mask.subarray(r * cols, (r + 1) * cols))).toEqual(Array.from(expected));
    }
  });
});

describe('parsePattern: the whole string is N:M with 1 ≤ N < M', () => {
  it('multi-digit N and M parse', () => {
    expect(parsePattern('12:16')).toEqual({ zeros: 12, group: 16 });
    expect(parsePattern('2:16')).toEqual({ zeros: 2, group: 16 });
    expect(parsePattern('1:4')).toEqual({ zeros: 1, group: 4 });
  });
  it.each(['2:4x', 'x2:4', '2:4:8', ' 2:4', '2:4 ', ':4', '2:'])('rejects %j as bad-argument', (p) => {
    const e = thrown(() => parsePattern(p));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toMatch(/pattern must be 'unstructured' or N:M/);
  });
  it.each(['0:4', '4:4', '5:4'])('rejects %j (need 1 ≤ N < M) as bad-argument', (p) => {
    const e = thrown(() => parsePattern(p));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toBe(`pattern ${p}: need 1 ≤ N < M`);
  });
});

describe('mask edge cases', () => {
  it('perMatrixMask at sparsity 1 zeros everything', () => {
    expect(Array.from(perMatrixMask([3, 1, 2], 1))).toEqual([0, 0, 0]);
  });
  it('nmMask breaks ties by the lower index within each group', () => {
    expect(Array.from(nmMask([5, 5, 5, 5, 1, 1, 1, 1], 1, 8, { zeros: 2, group: 4 }))).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(nmMask([7, 7, 7, 7], 1, 4, { zeros: 3, group: 4 }))).toEqual([0, 0, 0, 1]);
  });
  it('checkNMShape names the layer and its input size', () => {
    expect(() => checkNMShape('w', 8, { zeros: 2, group: 4 })).not.toThrow();
    const e = thrown(() => checkNMShape('blk.0.q', 6, { zeros: 2, group: 4 }));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toBe('blk.0.q: 2:4 sparsity needs the input size (6) to be a multiple of 4');
    expect(e.details).toEqual({ weight: 'blk.0.q', inputSize: 6, group: 4 });
  });
});
