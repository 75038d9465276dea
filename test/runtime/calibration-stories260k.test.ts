// CalibrationRunner on the real stories260K (wasm): a 64 × 256-token sequential pass with 'norms'
// reproduces the model's logits, SLEB's gated NLL equals physical block removal, ShortGPT's BI.
import { afterAll, describe, expect, it } from 'vitest';
import { llamaNames } from '../../src/model/model-spec';
import type { HiddenStates } from '../../src/pruning/calibration';
import { createCalibrationRunner } from '../../src/runtime/calibration-runner';
import { createEngine } from '../../src/runtime/engine';
import { loadStories260K, tinyStoriesIds } from '../oracles/stories260k';
import { referenceHead, windowRows, withoutBlock } from './block-reference';

const spec = loadStories260K();
const L = spec.layers.length;
const T = 256;
const ids = tinyStoriesIds();
const windows = Array.from({ length: 64 }, (_, r) => Int32Array.from(ids.slice(r * T, (r + 1) * T)));
const runner = createCalibrationRunner({ backend: 'wasm' });
afterAll(() => runner.dispose());

const sumNll = async (s: typeof spec, w: Int32Array[]) => {
  const engine = await createEngine(s, { backend: 'wasm' });
  const total = (await engine.scoreWindows(w)).reduce((acc, m) => acc + m * (T - 1), 0);
  await engine.dispose();
  return total;
};

describe('stories260K', () => {
  it('sequential pass with norms over 64 × 256 tokens reproduces the logits', async () => {
    const started = performance.now();
    let hidden: HiddenStates = await runner.embed(spec, windows);
    const sqNormTotals: number[] = [];
    for (let i = 0; i < L; i++) {
      const run = await runner.runBlock(spec, i, hidden, 'norms');
      const down = run.inputs.get(llamaNames.down(i))!;
      expect(down.tokens).toBe(64 * T);
      expect(down.sqNorm).toHaveLength(spec.layers[i].intermediateSize);
      sqNormTotals.push(down.sqNorm.reduce((a, b) => a + b, 0));
      hidden = run.output;
    }
    const wallMs = performance.now() - started;
    console.log(`stories260K 64×256 sequential pass (norms): ${wallMs.toFixed(0)} ms wall, forwardMs ${runner.forwardMs.toFixed(0)}`);
    expect(runner.sessionsCreated).toBe(1); // five blocks of one shape
    expect(runner.forwardPasses).toBeCloseTo(1, 12);
    expect(sqNormTotals.every((s) => s > 0 && Number.isFinite(s))).toBe(true);

    const engine = await createEngine(spec, { backend: 'wasm' });
    for (const r of [0, 63]) {
      const logits = await engine.logits([...windows[r]]);
      const ours = referenceHead(spec, windowRows(hidden.data, r, T, spec.config.hiddenSize));
      let maxAbs = 0;
      ours.forEach((row, t) => row.forEach((v, j) => (maxAbs = Math.max(maxAbs, Math.abs(v - logits[t * spec.config.vocabSize + j])))));
      expect(maxAbs).toBeLessThan(1e-4);
    }
    await engine.dispose();
  });

  it('gated NLL: gates of ones = nll graph, a zero gate = the block removed; one session for all patterns', async () => {
    const few = windows.slice(0, 8);
    const before = runner.sessionsCreated;
    const plain = await runner.gatedNll(spec, few, Array(L).fill(1));
    expect(Math.abs(plain - (await sumNll(spec, few))) / plain).toBeLessThan(1e-6);
    for (const skipped of [0, 2, 4]) {
      const gated = await runner.gatedNll(spec, few, Array.from({ length: L }, (_, j) => (j === skipped ? 0 : 1)));
      const want = await sumNll(withoutBlock(spec, skipped), few);
      expect(Math.abs(gated - want) / want).toBeLessThan(1e-5);
    }
    expect(runner.sessionsCreated - before).toBe(1);
  });

  it('block influence per block lies in (0, 1)', async () => {
    const bi = await runner.blockInfluence(spec, windows.slice(0, 16));
    expect(bi).toHaveLength(L);
    for (const v of bi) expect(v > 0 && v < 1).toBe(true);
  });
});
