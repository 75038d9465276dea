// Decoding with the KV cache equals full-sequence logits: greedy-decode step by step through the
// engine (prefill, then one token per step) and compare every step's logits with the float64 oracle's
// full-sequence logits at that position. On pruned shapes: stories260K with block 2 removed (through
// applyPlan), and stories260K with fewer FFN neurons and fewer heads, different per block.

import { afterAll, describe, expect, it } from 'vitest';
import { llamaNames, type LayerSpec, type ModelSpec, type WeightTensor } from '../../src/model/model-spec';
import { applyPlan } from '../../src/pruning/apply-plan';
import { emptyPlan } from '../../src/pruning/plan';
import { argmax } from '../../src/evaluation/generate';
import { syntheticPrompt } from '../../src/evaluation/benchmark';
import { kvCapacityFor, MIN_KV_CAPACITY } from '../../src/runtime/kv-cache';
import { createEngine, type Engine } from '../../src/runtime/engine';
import { referenceLogits } from '../oracles/reference-forward';
import { loadStories260K } from '../oracles/stories260k';

/** max |logit_engine − logit_oracle| allowed at every step (fp32 engine vs float64 oracle). */
const TOLERANCE = 1e-4;
const PROMPT = [1, 403, 407, 261, 378, 271, 288]; // stories260K ids of "<s> Once upon a timeinim"
const NEW_TOKENS = 12;

const dense = loadStories260K();
const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.dispose();
});

const rows = (w: WeightTensor, keep: number[], rowLen: number): WeightTensor => {
  const data = new Float32Array(keep.length * rowLen);
  keep.forEach((r, i) => data.set(w.data.subarray(r * rowLen, (r + 1) * rowLen), i * rowLen));
  return { shape: [keep.length, rowLen], data };
};
const cols = (w: WeightTensor, keep: number[]): WeightTensor => {
  const [out, inn] = w.shape;
  const data = new Float32Array(out * keep.length);
  for (let o = 0; o < out; o++) keep.forEach((c, j) => (data[o * keep.length + j] = w.data[o * inn + c]));
  return { shape: [out, keep.length], data };
};

/**
 * Structured width pruning by slicing: block i keeps FFN neurons `ffn[i]` and KV heads `kvHeads[i]`
 * (with their G = heads/kvHeads query heads each). Shapes differ per block.
 */
function sliceWidths(spec: ModelSpec, keep: { ffn: number[]; kvHeads: number[] }[]): ModelSpec {
  const n = llamaNames;
  const weights = new Map(spec.weights);
  const hidden = spec.config.hiddenSize;
  const layers: LayerSpec[] = spec.layers.map((l, i) => {
    const { ffn, kvHeads } = keep[i];
    const G = l.numHeads / l.numKvHeads;
    const hd = l.headDim;
    const heads = kvHeads.flatMap((j) => Array.from({ length: G }, (_, g) => j * G + g));
    const headRows = (hs: number[]) => hs.flatMap((h) => Array.from({ length: hd }, (_, d) => h * hd + d));
    const get = (name: string) => spec.weights.get(name)!;
    weights.set(n.q(i), rows(get(n.q(i)), headRows(heads), hidden));
    weights.set(n.k(i), rows(get(n.k(i)), headRows(kvHeads), hidden));
    weights.set(n.v(i), rows(get(n.v(i)), headRows(kvHeads), hidden));
    weights.set(n.o(i), cols(get(n.o(i)), headRows(heads)));
    weights.set(n.gate(i), rows(get(n.gate(i)), ffn, hidden));
    weights.set(n.up(i), rows(get(n.up(i)), ffn, hidden));
    weights.set(n.down(i), cols(get(n.down(i)), ffn));
    return { ...l, numHeads: heads.length, numKvHeads: kvHeads.length, intermediateSize: ffn.length };
  });
  return { ...spec, layers, weights };
}

/**
 * Greedy decode with the cache; returns the sequence and, per step, max |Δ| between the engine's
 * logits and the oracle's full-sequence logits at the same position.
 */
async function decodeAgainstOracle(spec: ModelSpec, kvCache: 'growing' | 'fixed' = 'growing'): Promise<{ ids: number[]; diffs: number[]; scale: number }> {
  const engine = await createEngine(spec, { backend: 'wasm', kvCache });
  engines.push(engine);
  expect(engine.kvCache.kind).toBe(kvCache);
  const V = spec.config.vocabSize;
  // The fixed cache also takes the prompt in two runs (a prompt of 3, then 4 more tokens in one run).
  const stepLogits: Float32Array[] = [kvCache === 'fixed' ? (await engine.prefill(PROMPT.slice(0, 3)), await engine.extend(PROMPT.slice(3))) : await engine.prefill(PROMPT)];
  const ids = [...PROMPT];
  expect(engine.cacheLength).toBe(PROMPT.length);
  for (let s = 0; s < NEW_TOKENS; s++) {
    const next = argmax(stepLogits[stepLogits.length - 1]);
    ids.push(next);
    stepLogits.push(await engine.step(next));
    expect(engine.cacheLength).toBe(ids.length);
  }
  expect(stepLogits).toHaveLength(NEW_TOKENS + 1);
  const oracle = referenceLogits(spec, ids);
  expect(oracle.length).toBe(ids.length * V);
  let scale = 0;
  const diffs = stepLogits.map((logits, s) => {
    expect(logits.length).toBe(V);
    const pos = PROMPT.length - 1 + s; // logits returned at step s predict token pos + 1
    let d = 0;
    for (let v = 0; v < V; v++) {
      d = Math.max(d, Math.abs(logits[v] - oracle[pos * V + v]));
      scale = Math.max(scale, Math.abs(oracle[pos * V + v]));
    }
    return d;
  });
  // The full-sequence engine pass agrees too (no cache at all).
  const full = await engine.logits(ids);
  expect(full.length).toBe(ids.length * V);
  let fullDiff = 0;
  for (let i = 0; i < full.length; i++) fullDiff = Math.max(fullDiff, Math.abs(full[i] - oracle[i]));
  expect(fullDiff).toBeLessThan(TOLERANCE);
  return { ids, diffs, scale };
}

describe.each(['growing', 'fixed'] as const)('KV-cache decoding (%s cache) = float64 full-sequence oracle, step by step', (kvCache) => {
  it('stories260K with block 2 removed (applyPlan)', async () => {
    const spec = applyPlan(dense, { ...emptyPlan('test', {}), removeBlocks: [2] });
    expect(spec.layers.map((l) => l.sourceIndex)).toEqual([0, 1, 3, 4]);
    expect(spec.weights.has('model.layers.4.mlp.up_proj.weight')).toBe(false);
    const { diffs, scale } = await decodeAgainstOracle(spec, kvCache);
    console.log(`${kvCache}, block 2 removed: max |Δlogit| per step ${Math.max(...diffs).toExponential(2)} (max |logit| ${scale.toFixed(1)})`);
    expect(scale).toBeGreaterThan(1);
    expect(diffs).toHaveLength(NEW_TOKENS + 1);
    for (const [s, d] of diffs.entries()) expect(d, `step ${s}`).toBeLessThan(TOLERANCE);
  });

  it('stories260K with fewer FFN neurons and fewer heads, different per block', async () => {
    const range = (a: number, b: number, step = 1) => Array.from({ length: Math.ceil((b - a) / step) }, (_, i) => a + i * step);
    const keep = [
      { ffn: range(0, 172, 2), kvHeads: [0, 1, 2, 3] }, // 86 neurons, all heads
      { ffn: range(0, 172), kvHeads: [1, 3] }, // all neurons, 4 of 8 query heads
      { ffn: range(40, 140), kvHeads: [0, 2, 3] }, // 100 neurons, 6 heads
      { ffn: range(0, 172, 3), kvHeads: [2] }, // 58 neurons, 2 heads
      { ffn: range(5, 172), kvHeads: [0, 1, 2, 3] }, // 167 neurons
    ];
    expect(keep).toHaveLength(dense.layers.length);
    const spec = sliceWidths(dense, keep);
    expect(spec.layers.map((l) => [l.numHeads, l.numKvHeads, l.intermediateSize])).toEqual([[8, 4, 86], [4, 2, 172], [6, 3, 100], [2, 1, 58], [8, 4, 167]]);
    expect(spec.weights.get(llamaNames.o(3))!.shape).toEqual([64, 16]);
    const { diffs, scale } = await decodeAgainstOracle(spec, kvCache);
    console.log(`${kvCache}, widths changed: max |Δlogit| per step ${Math.max(...diffs).toExponential(2)} (max |logit| ${scale.toFixed(1)})`);
    expect(scale).toBeGreaterThan(1);
    expect(diffs).toHaveLength(NEW_TOKENS + 1);
    for (const [s, d] of diffs.entries()) expect(d, `step ${s}`).toBeLessThan(TOLERANCE);
  });
});

describe('the fixed cache grows by doubling and keeps what it held', () => {
  it('kvCapacityFor: powers of two from MIN_KV_CAPACITY, at most the context, never shrinking', () => {
    expect(kvCapacityFor(1, 8192)).toBe(MIN_KV_CAPACITY);
    expect(kvCapacityFor(MIN_KV_CAPACITY + 1, 8192)).toBe(2 * MIN_KV_CAPACITY);
    expect(kvCapacityFor(3000, 8192)).toBe(4096);
    expect(kvCapacityFor(3000, 3500)).toBe(3500);
    expect(kvCapacityFor(10, 8192, 1024)).toBe(1024);
    expect(kvCapacityFor(1025, 8192, 1024)).toBe(2048);
    expect(kvCapacityFor(50, 64)).toBe(64);
    expect(() => kvCapacityFor(65, 64)).toThrow(/exceed the model's context of 64/);
  });

  it('stories260K past the first capacity (prefill 200, extend 100, 4 steps) = the growing cache', async () => {
    const ids = syntheticPrompt(300, dense.config.vocabSize);
    const fixed = await createEngine(dense, { backend: 'wasm', kvCache: 'fixed' });
    const growing = await createEngine(dense, { backend: 'wasm', kvCache: 'growing' });
    engines.push(fixed, growing);
    const run = async (engine: Engine) => {
      const logits = [await engine.prefill(ids.slice(0, 200))];
      const capacityAfterPrefill = engine.kvCache.capacity;
      logits.push(await engine.extend(ids.slice(200)));
      for (let s = 0; s < 4; s++) logits.push(await engine.step(argmax(logits[logits.length - 1])));
      return { logits, capacityAfterPrefill };
    };
    const a = await run(fixed);
    const b = await run(growing);
    expect(a.capacityAfterPrefill).toBe(MIN_KV_CAPACITY);
    expect(fixed.kvCache.capacity).toBe(Math.min(2 * MIN_KV_CAPACITY, dense.config.maxPositionEmbeddings));
    expect(fixed.cacheLength).toBe(304);
    expect(growing.kvCache.capacity).toBe(304);
    a.logits.forEach((l, s) => {
      let d = 0;
      for (let v = 0; v < l.length; v++) d = Math.max(d, Math.abs(l[v] - b.logits[s][v]));
      expect(d, `run ${s}`).toBeLessThan(1e-4);
    });
    // A prompt after a reset reuses the buffers; one past the context is refused before anything runs.
    await fixed.prefill(ids.slice(0, 10));
    expect(fixed.kvCache.capacity).toBe(2 * MIN_KV_CAPACITY);
    await expect(fixed.extend(new Array(dense.config.maxPositionEmbeddings).fill(5))).rejects.toThrow(/exceed the model's context/);
    expect(fixed.cacheLength).toBe(10);
  });

  it('reserve() makes the room before the tokens come (no growth inside a timed run); releaseCache() frees it', async () => {
    const engine = await createEngine(dense, { backend: 'wasm', kvCache: 'fixed' });
    engines.push(engine);
    await engine.reserve(300);
    expect(engine.kvCache.capacity).toBe(2 * MIN_KV_CAPACITY);
    const bytes = engine.kvCache.bytesAllocated;
    expect(bytes).toBe(dense.layers.reduce((n, l) => n + 2 * l.numKvHeads * l.headDim * 4 * 2 * MIN_KV_CAPACITY, 0));
    await engine.prefill([1, 2, 3]);
    for (let s = 0; s < 3; s++) await engine.step(5);
    expect(engine.kvCache.capacity).toBe(2 * MIN_KV_CAPACITY);
    engine.releaseCache();
    expect(engine.kvCache.bytesAllocated).toBe(0);
    expect(engine.cacheLength).toBe(0);
    await expect(engine.step(5)).rejects.toThrow(/step\(\) before prefill\(\)/);
    await expect(engine.reserve(dense.config.maxPositionEmbeddings + 1)).rejects.toThrow(/exceed the model's context/);
  });
});
