// An engine capped at one live session (what large models get) rebuilds sessions when the purpose
// changes, and gives exactly what an uncapped engine gives; a session that fails to build is not kept.
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
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

describe('a session that fails to build', () => {
  it('is not kept: the error reaches the caller once, a later call builds it again, and dispose does not rethrow', async () => {
    const spec = tinySpec({ family: 'llama', seed: 7, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 16 }] });
    // One weight whose file "disappears" for the first read only (as a dropped file deleted, then back).
    const [name, weight] = [...spec.weights].find(([n]) => n.includes('up_proj'))!;
    let failNext = true;
    const flaky = {
      shape: weight.shape,
      get data(): Float32Array {
        if (failNext) {
          failNext = false;
          throw new LabError('missing-file', 'model.safetensors: can no longer be read');
        }
        return weight.data;
      },
    };
    const engine = await createEngine({ ...spec, weights: new Map([...spec.weights].map(([n, w]) => [n, n === name ? flaky : w])) }, { backend: 'wasm' });
    await expect(engine.logits([1, 2, 3])).rejects.toMatchObject({ code: 'missing-file' });
    const logits = await engine.logits([1, 2, 3]);
    expect(logits.length).toBeGreaterThan(0);
    const failing = await createEngine({ ...spec, weights: new Map([...spec.weights].map(([n, w]) => [n, n === name ? { shape: w.shape, get data(): Float32Array { throw new LabError('missing-file', 'gone'); } } : w])) }, { backend: 'wasm' });
    await expect(failing.logits([1, 2, 3])).rejects.toMatchObject({ code: 'missing-file' });
    await expect(failing.dispose()).resolves.toBeUndefined();
    await engine.dispose();
  });
});
