// Shared pieces of the fast evaluation tests: a mocked performance.now, one-hot logits rows, and the
// LabError a promise rejects with.

import { afterEach, beforeEach, expect, vi } from 'vitest';
import { LabError } from '../../src/errors';

/** performance.now() returns `clock.ms`, reset to `startMs` before each test; tests advance it. */
export function fakeClock(startMs: number): { ms: number } {
  const clock = { ms: startMs };
  beforeEach(() => {
    clock.ms = startMs;
    vi.spyOn(performance, 'now').mockImplementation(() => clock.ms);
  });
  afterEach(() => vi.restoreAllMocks());
  return clock;
}

/** A logits row of `vocab` entries: `high` at `id`, `low` elsewhere. */
export function oneHotRow(vocab: number, id: number, low: number, high: number): Float32Array {
  const row = new Float32Array(vocab).fill(low);
  row[id] = high;
  return row;
}

/** The LabError `p` rejects with (fails the test if it resolves or rejects with something else). */
export async function labError(p: Promise<unknown>): Promise<LabError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LabError);
  return e as LabError;
}
