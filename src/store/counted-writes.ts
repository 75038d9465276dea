// A storage write counted in a slice's `saving` field until it is committed (or failed): the runs and the saved GPU
// benchmarks both show "saving…" from it. Pure: must not import React, the worker or the engine.

/** `bump(+1)` before each write and `bump(−1)` after it, whatever its outcome. */
export function countedWrites(bump: (delta: 1 | -1) => void): (write: () => Promise<void>) => Promise<void> {
  return async (write) => {
    bump(1);
    try {
      await write();
    } finally {
      bump(-1);
    }
  };
}
