// Calibration windows from one tokenized text: the first k non-overlapping windows, or seeded random
// starts like the SparseGPT/Wanda C4 loader (one random window per sample, so the first k of a
// larger set at the same seed are the same windows). Pure.

import { LabError } from '../errors';

export interface CalibrationWindowOptions {
  count: number;
  seqLen: number;
  sampling: 'first' | 'random';
  /** Seed of the 'random' sampler (mulberry32); ignored by 'first'. */
  seed: number;
  /** Names the text in error messages. */
  textName?: string;
}

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function calibrationWindows(tokens: ArrayLike<number>, options: CalibrationWindowOptions): Int32Array[] {
  const { count, seqLen, sampling } = options;
  const textName = options.textName ?? 'calibration text';
  if (!Number.isInteger(count) || count < 1) throw new LabError('bad-argument', `calibration: window count must be an integer ≥ 1, got ${count}`);
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new LabError('bad-argument', `calibration: window length must be an integer ≥ 2, got ${seqLen}`);
  const all = Int32Array.from(tokens);
  const n = all.length;
  if (sampling === 'first') {
    if (n < count * seqLen)
      throw new LabError('bad-text', `${textName}: ${n} tokens is too short for ${count} windows of ${seqLen} tokens (needs ${count * seqLen})`, {
        tokens: n,
        needed: count * seqLen,
      });
    return Array.from({ length: count }, (_, w) => all.slice(w * seqLen, (w + 1) * seqLen));
  }
  // As random.randint(0, N − seqlen − 1): a start in [0, N − seqLen − 1].
  if (n <= seqLen)
    throw new LabError('bad-text', `${textName}: ${n} tokens is too short for a random window of ${seqLen} tokens (needs more than ${seqLen})`, {
      tokens: n,
      needed: seqLen + 1,
    });
  const random = mulberry32(options.seed);
  return Array.from({ length: count }, () => {
    const start = Math.floor(random() * (n - seqLen));
    return all.slice(start, start + seqLen);
  });
}
