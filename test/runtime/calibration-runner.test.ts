// CalibrationRunner on tiny random specs (wasm): the block chain reproduces the model, the in-graph
// statistics match a float64 computation on the captured inputs, gated NLL equals physical block
// removal with one session, block influence and the counters.
import { afterAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { gpt2Names, llamaNames } from '../../src/model/model-spec';
import type { HiddenStates } from '../../src/pruning/calibration';
import { createCalibrationRunner } from '../../src/runtime/calibration-runner';
import { createEngine } from '../../src/runtime/engine';
import { tinySpec, type TinySpecOptions } from '../oracles/reference-forward';
import { referenceBlock, referenceHead, windowRows, withoutBlock, withSilentBlock, type Rows } from './block-reference';

const windows = [
  Int32Array.from([1, 5, 9, 3, 17, 30, 2, 8, 11, 4]),
  Int32Array.from([2, 8, 11, 4, 39, 0, 7, 7, 21, 13]),
  Int32Array.from([3, 33, 12, 6, 1, 19, 25, 36, 10, 5]),
];
const T = windows[0].length;

const cases: [string, TinySpecOptions][] = [
  ['llama GQA, 3 equal blocks', { family: 'llama', seed: 2, layers: Array(3).fill({ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 }) }],
  ['llama differing blocks, untied', {
    family: 'llama', tied: false, seed: 7,
    layers: [
      { numHeads: 4, numKvHeads: 1, headDim: 6, intermediateSize: 20 },
      { numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 9 },
      { numHeads: 4, numKvHeads: 1, headDim: 6, intermediateSize: 20 },
    ],
  }],
  ['qwen2 q/k/v bias', { family: 'llama', qkvBias: true, seed: 3, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 12 }, { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 12 }] }],
  ['gpt2', { family: 'gpt2', seed: 5, layers: [{ numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 64 }, { numHeads: 2, numKvHeads: 2, headDim: 4, intermediateSize: 30 }] }],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  return maxAbsDiff(got, want) / scale;
}

/** Σ_t x_t x_tᵀ and its diagonal over all windows' rows, float64. */
function statsOf(rows: Rows[]): { sq: Float64Array; gram: Float64Array } {
  const n = rows[0][0].length;
  const sq = new Float64Array(n);
  const gram = new Float64Array(n * n);
  for (const win of rows)
    for (const x of win)
      for (let a = 0; a < n; a++) {
        sq[a] += x[a] * x[a];
        for (let b = 0; b < n; b++) gram[a * n + b] += x[a] * x[b];
      }
  return { sq, gram };
}

describe.each(cases)('%s', (_, options) => {
  const spec = tinySpec(options);
  const L = spec.layers.length;
  const d = spec.config.hiddenSize;
  // Two windows per run, so three windows take two runs per block (batching is exercised).
  const runner = createCalibrationRunner({ backend: 'wasm', maxBatchTokens: 2 * T });
  afterAll(() => runner.dispose());

  it('embed → runBlock chain reproduces the full model; stats match the captured inputs', async () => {
    let hidden: HiddenStates = await runner.embed(spec, windows);
    expect([hidden.windows, hidden.tokens, hidden.channels]).toEqual([3, T, d]);
    for (let i = 0; i < L; i++) {
      const run = await runner.runBlock(spec, i, hidden, 'gram');
      const refs = windows.map((_, r) => referenceBlock(spec, i, windowRows(hidden.data, r, T, d)));
      // The block output against the float64 block on the same input.
      expect(maxAbsDiff(run.output.data, refs.flatMap((ref) => ref.output.flatMap((row) => [...row])))).toBeLessThan(1e-4);
      const n = spec.family === 'llama' ? llamaNames : gpt2Names;
      const reader = { attn_in: n.q(i), o_in: n.o(i), mlp_in: spec.family === 'llama' ? llamaNames.gate(i) : gpt2Names.fc(i), down_in: spec.family === 'llama' ? llamaNames.down(i) : gpt2Names.proj(i) };
      for (const [key, weight] of Object.entries(reader) as [keyof typeof reader, string][]) {
        const want = statsOf(refs.map((ref) => ref.inputs[key]));
        const stats = run.inputs.get(weight)!;
        expect(stats.tokens).toBe(3 * T);
        expect(maxRelDiff(stats.sqNorm, want.sq), `${weight} sqNorm`).toBeLessThan(1e-5);
        expect(maxRelDiff(stats.gram!, want.gram), `${weight} gram`).toBeLessThan(1e-5);
      }
      expect(run.inputs.get(n.k(i))).toBe(run.inputs.get(n.q(i)));
      if (spec.family === 'llama') expect(run.inputs.get(llamaNames.up(i))).toBe(run.inputs.get(llamaNames.gate(i)));
      // q/k/v share one object, as do gate/up; every linear of the block has stats.
      const stats = [...run.inputs.values()];
      expect(run.inputs.size).toBe(spec.family === 'llama' ? 7 : 6);
      expect(new Set(stats).size).toBe(4);
      hidden = run.output;
    }
    const engine = await createEngine(spec, { backend: 'wasm' });
    for (const [r, w] of windows.entries()) {
      const logits = await engine.logits([...w]);
      const ours = referenceHead(spec, windowRows(hidden.data, r, T, d)).flatMap((row) => [...row]);
      expect(maxAbsDiff(ours, logits)).toBeLessThan(1e-4);
    }
    await engine.dispose();
  });

  it('norms only: no gram, same sqNorm as with gram', async () => {
    const hidden = await runner.embed(spec, windows);
    const [norms, gram] = [await runner.runBlock(spec, 0, hidden, 'norms'), await runner.runBlock(spec, 0, hidden, 'gram')];
    for (const [name, s] of norms.inputs) {
      expect(s.gram).toBeNull();
      expect(maxRelDiff(s.sqNorm, gram.inputs.get(name)!.sqNorm)).toBeLessThan(1e-6);
    }
    expect((await runner.runBlock(spec, 0, hidden, 'none')).inputs.size).toBe(0);
  });

  it('gated NLL: all ones = the nll graph; gate 0 = block physically removed; one session', async () => {
    const engine = await createEngine(spec, { backend: 'wasm' });
    const plain = (await engine.scoreWindows(windows)).reduce((s, m) => s + m * (T - 1), 0);
    await engine.dispose();
    const before = runner.sessionsCreated;
    const passes = runner.forwardPasses;
    expect(Math.abs((await runner.gatedNll(spec, windows, Array(L).fill(1))) - plain) / plain).toBeLessThan(1e-6);
    for (let i = 0; i < L; i++) {
      const gates = Array.from({ length: L }, (_, j) => (j === i ? 0 : 1));
      const gated = await runner.gatedNll(spec, windows, gates);
      const removed = withoutBlock(spec, i);
      const e = await createEngine(removed, { backend: 'wasm' });
      const want = (await e.scoreWindows(windows)).reduce((s, m) => s + m * (T - 1), 0);
      await e.dispose();
      expect(Math.abs(gated - want) / want).toBeLessThan(1e-5);
      expect(Math.abs(gated - plain) / plain).toBeGreaterThan(1e-4); // the gate did something
    }
    expect(runner.sessionsCreated - before).toBe(1);
    expect(runner.forwardPasses - passes).toBe(L + 1);
    await expect(runner.gatedNll(spec, windows, [1])).rejects.toThrow(LabError);
  });

  it('block influence = 1 − mean cos(h_in, h_out); a silent block has BI 0', async () => {
    const bi = await runner.blockInfluence(spec, windows);
    expect(bi).toHaveLength(L);
    // Against row-wise cosines of the runBlock chain, computed here.
    let hidden = await runner.embed(spec, windows);
    for (let i = 0; i < L; i++) {
      const out = (await runner.runBlock(spec, i, hidden, 'none')).output;
      let cosSum = 0;
      for (let t = 0; t < 3 * T; t++) {
        let [dot, a2, b2] = [0, 0, 0];
        for (let j = 0; j < d; j++) {
          const [a, b] = [hidden.data[t * d + j], out.data[t * d + j]];
          [dot, a2, b2] = [dot + a * b, a2 + a * a, b2 + b * b];
        }
        cosSum += dot / Math.sqrt(a2 * b2);
      }
      expect(Math.abs(bi[i] - (1 - cosSum / (3 * T)))).toBeLessThan(1e-5);
      expect(bi[i]).toBeGreaterThan(1e-4);
      hidden = out;
    }
    const silent = await runner.blockInfluence(withSilentBlock(spec, L - 1), windows);
    expect(Math.abs(silent[L - 1])).toBeLessThan(1e-6);
    expect(maxAbsDiff(silent.slice(0, L - 1), bi.slice(0, L - 1))).toBeLessThan(1e-6);
  });
});

describe('sessions and counters', () => {
  const spec = tinySpec(cases[0][1]);
  it('one block session per shape and stats kind; passes and time counted', async () => {
    const runner = createCalibrationRunner({ backend: 'wasm' });
    let hidden = await runner.embed(spec, windows);
    expect(runner.forwardPasses).toBe(0);
    for (let i = 0; i < 3; i++) hidden = (await runner.runBlock(spec, i, hidden, 'norms')).output;
    expect(runner.sessionsCreated).toBe(1); // three equal blocks, one session
    expect(runner.forwardPasses).toBeCloseTo(1, 12);
    expect(runner.forwardMs).toBeGreaterThan(0);
    await runner.runBlock(spec, 0, hidden, 'gram');
    expect(runner.sessionsCreated).toBe(2);
    // A pruned copy (same shapes, new weights) reuses the session and its output follows the new weights.
    const h0 = await runner.embed(spec, windows);
    const dense = (await runner.runBlock(spec, 0, h0, 'norms')).output.data;
    const silent = (await runner.runBlock(withSilentBlock(spec, 0), 0, h0, 'norms')).output.data;
    expect(runner.sessionsCreated).toBe(2);
    expect(maxAbsDiff(silent, h0.data)).toBe(0); // zeroed o/down: the block is the identity
    expect(maxAbsDiff(dense, h0.data)).toBeGreaterThan(1e-3);
    const other = tinySpec(cases[1][1]); // blocks 0 and 2 share a shape, block 1 differs
    let h = await runner.embed(other, windows);
    for (let i = 0; i < 3; i++) h = (await runner.runBlock(other, i, h, 'norms')).output;
    expect(runner.sessionsCreated).toBe(4);
    await expect(runner.runBlock(spec, 3, hidden, 'none')).rejects.toThrow(/block 3/);
    await expect(runner.embed(spec, [Int32Array.of(1, 2), Int32Array.of(1)])).rejects.toThrow(LabError);
    await expect(runner.embed(spec, [Int32Array.of(1, 400)])).rejects.toThrow(/vocabulary/);
    await runner.dispose();
  });
});
