// An engine capped at one live session (what large models get) rebuilds sessions when the purpose
// changes, and gives exactly what an uncapped engine gives.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/runtime/engine';
import { tinySpec } from '../oracles/reference-forward';

describe('engine session cap', () => {
  const spec = tinySpec({ family: 'llama', seed: 5, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 16 }, { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 12 }] });
  const ids = [3, 9, 1, 14, 7, 2, 11, 5];
  const windows = [Int32Array.from(ids), Int32Array.from([...ids].reverse())];

  async function everyPurpose(maxLiveSessions: number) {
    const engine = await createEngine(spec, { backend: 'wasm', maxLiveSessions });
    const logits = await engine.logits(ids);
    const nll = await engine.scoreWindows(windows);
    const prefill = await engine.prefill(ids.slice(0, 5));
    const step = await engine.step(ids[5]);
    const logitsAgain = await engine.logits(ids);
    const created = engine.sessionsCreated;
    await engine.dispose();
    return { logits, nll, prefill, step, logitsAgain, created };
  }

  it('one live session: same results, sessions rebuilt on each change of purpose', async () => {
    const capped = await everyPurpose(1);
    const free = await everyPurpose(3);
    expect(free.created).toBe(3);
    expect(capped.created).toBe(4); // logits, nll, decode, logits again
    expect(Array.from(capped.logits)).toEqual(Array.from(free.logits));
    expect(Array.from(capped.logitsAgain)).toEqual(Array.from(free.logits));
    expect(capped.nll).toEqual(free.nll);
    expect(Array.from(capped.prefill)).toEqual(Array.from(free.prefill));
    expect(Array.from(capped.step)).toEqual(Array.from(free.step));
  });

  it('a purpose change between prefill and step drops the cache: step asks for a new prefill', async () => {
    const engine = await createEngine(spec, { backend: 'wasm', maxLiveSessions: 1 });
    await engine.prefill(ids.slice(0, 4));
    await engine.scoreWindows(windows);
    expect(engine.cacheLength).toBe(0);
    await expect(engine.step(ids[4])).rejects.toThrow(/step\(\) before prefill\(\)/);
    await engine.dispose();
  });
});
