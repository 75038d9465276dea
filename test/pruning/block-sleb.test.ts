// SLEB on the real stories260K: each greedy step's choice and losses equal an exhaustive evaluation of
// the physically shortened models (removeBlocks + createEngine), ends are protected, one session
// serves every candidate, live progress carries the candidates, same seed → same plan.

import { afterAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { removeBlocks } from '../../src/pruning/apply-plan';
import type { MethodProgress } from '../../src/pruning/method';
import { sleb } from '../../src/pruning/methods/sleb';
import type { TraceEntry } from '../../src/pruning/plan';
import { createCalibrationRunner } from '../../src/runtime/calibration-runner';
import { createEngine } from '../../src/runtime/engine';
import { context, stories, storiesSpec } from './helpers/stories';

type SlebStep = Extract<TraceEntry, { kind: 'sleb-step' }>;
const L = storiesSpec.layers.length;

/** Summed NLL of the model with `blocks` physically deleted. */
async function physicalNll(blocks: number[], windows: Int32Array[]): Promise<number> {
  const engine = await createEngine(removeBlocks(storiesSpec, [...blocks].sort((a, b) => a - b)), { backend: 'wasm' });
  const means = await engine.scoreWindows(windows);
  await engine.dispose();
  return means.reduce((s, m) => s + m * (windows[0].length - 1), 0);
}

describe('SLEB', () => {
  const windows = stories(12, 128, 0);
  const ctx = context(windows);
  afterAll(() => ctx.runner.dispose());

  it('each step removes the argmin of an exhaustive evaluation of the physically shortened models', async () => {
    const live: MethodProgress[] = [];
    const plan = await sleb.run({ ...ctx, onProgress: (p) => live.push(p) }, { blocks: 2 });
    const steps = plan.trace as SlebStep[];
    expect(steps.map((s) => s.kind)).toEqual(['sleb-step', 'sleb-step']);
    const removed: number[] = [];
    for (const step of steps) {
      const alive = Array.from({ length: L }, (_, i) => i).filter((i) => !removed.includes(i));
      // protectEnds (default): the first and last surviving blocks are not candidates.
      expect(step.candidates.map((c) => c.block)).toEqual(alive.slice(1, -1));
      const exhaustive: number[] = [];
      for (const c of step.candidates) {
        const want = await physicalNll([...removed, c.block], windows);
        exhaustive.push(want);
        expect(Math.abs(c.nll - want) / want).toBeLessThan(1e-5);
        expect(c.ppl).toBeCloseTo(Math.exp(c.nll / (windows.length * 127)), 10);
      }
      const argmin = step.candidates[exhaustive.indexOf(Math.min(...exhaustive))].block;
      expect(step.chosen).toBe(argmin);
      removed.push(step.chosen);
    }
    expect(plan.removeBlocks).toEqual([...removed].sort((a, b) => a - b));
    expect(plan.removeBlocks).not.toContain(0);
    expect(plan.removeBlocks).not.toContain(L - 1);
    // Live: one progress per candidate (with the step's candidates so far, chosen −1), then the decision.
    const traces = live.map((p) => p.trace as SlebStep);
    expect(traces.map((t) => [t.step, t.candidates.length, t.chosen])).toEqual([
      [0, 1, -1], [0, 2, -1], [0, 3, -1], [0, 3, steps[0].chosen],
      [1, 1, -1], [1, 2, -1], [1, 2, steps[1].chosen],
    ]);
    expect(live.at(-1)!.fraction).toBe(1);
    expect(plan.stats.forwardPasses).toBe(5);
    expect(plan.stats.calibrationMs).toBeGreaterThan(0);
  });

  it('without protectEnds every surviving block is a candidate; sessions do not grow with candidates', async () => {
    const few = stories(4, 64, 1);
    const runs = [];
    for (const blocks of [1, 3]) {
      const runner = createCalibrationRunner({ backend: 'wasm' });
      runs.push(await sleb.run({ spec: storiesSpec, runner, windows: few }, { blocks, protectEnds: false }));
      await runner.dispose();
    }
    const [one, three] = runs;
    expect((one.trace[0] as SlebStep).candidates.map((c) => c.block)).toEqual([0, 1, 2, 3, 4]);
    expect((three.trace as SlebStep[]).map((s) => s.candidates.length)).toEqual([5, 4, 3]);
    expect(one.stats.forwardPasses).toBe(5);
    expect(three.stats.forwardPasses).toBe(12);
    expect(one.stats.sessionsCreated).toBe(1);
    expect(three.stats.sessionsCreated).toBe(1);
    // The first step is the same search, so the same choice.
    expect((three.trace[0] as SlebStep).chosen).toBe((one.trace[0] as SlebStep).chosen);
  });

  it('is deterministic for a seed (random sampling), and refuses impossible counts', async () => {
    const plans = [];
    for (let k = 0; k < 2; k++) {
      const runner = createCalibrationRunner({ backend: 'wasm' });
      plans.push(await sleb.run({ spec: storiesSpec, runner, windows: stories(4, 64, 7) }, { blocks: 1 }));
      await runner.dispose();
    }
    expect(plans[1].removeBlocks).toEqual(plans[0].removeBlocks);
    expect(plans[1].trace).toEqual(plans[0].trace);
    await expect(sleb.run(ctx, { blocks: L - 1 })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/at most 3/) });
    await expect(sleb.run(ctx, { blocks: L, protectEnds: false })).rejects.toBeInstanceOf(LabError);
    await expect(sleb.run(ctx, { blocks: 1.5 })).rejects.toMatchObject({ code: 'bad-argument' });
  });

  it('stops between candidates when cancelled', async () => {
    const controller = new AbortController();
    let seen = 0;
    const run = sleb.run({ ...ctx, signal: controller.signal, onProgress: () => (++seen === 1 ? controller.abort() : undefined) }, { blocks: 2 });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen).toBe(1);
  });
});
