// SLEB (methods.md §4.1) on a scripted runner whose gated NLL is a known function of the gates, so
// every greedy choice is known by hand: candidates = surviving blocks minus the first and last
// (protectEnds), each scored with all earlier removals also gated off; the strict-< argmin goes (first
// of equal losses); forwardPasses = Σ candidates; one session; trace ppl = exp(nll / (N·(T−1))).
import { describe, expect, it } from 'vitest';
import type { MethodProgress, PruningContext } from '../../../src/pruning/method';
import { sleb, slebCandidates } from '../../../src/pruning/methods/sleb';
import type { TraceEntry } from '../../../src/pruning/plan';
import { rejection } from '../helpers/errors';
import { abortedSignal, blocksOnlySpec, costNll, scriptedBlockRunner, type ScriptedBlockRunner } from '../helpers/scripted-block-runner';

type Step = Extract<TraceEntry, { kind: 'sleb-step' }>;

// 3 windows of 4 tokens: 3·(4 − 1) = 9 scored positions.
const windows = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([4, 3, 2, 1]), Int32Array.from([0, 1, 0, 1])];
const SCORED = 9;

// L = 6. NLL = 10 + Σ_{gated off} cost + 5 when blocks 2 and 4 are both off (an interaction, so the
// later steps depend on what was removed before).
const COST = [0.5, 3, 1, 2, 1, 0.2];
const nll6 = (g: number[]) => 10 + g.reduce((s, on, i) => s + (on ? 0 : COST[i]), 0) + (!g[2] && !g[4] ? 5 : 0);

function ctx(runner: ScriptedBlockRunner, L: number, extra: Partial<PruningContext> = {}): PruningContext {
  return { spec: blocksOnlySpec(L), runner, windows, ...extra };
}

describe('SLEB greedy choice (L = 6, k = 3, protectEnds)', () => {
  // By hand: step 0 candidates 1..4 → 13, 11, 12, 11: blocks 2 and 4 tie, the first (2) goes.
  // Step 1 (2 gone) candidates 1, 3, 4 → 14, 13, 17 (4 pays the interaction) → 3.
  // Step 2 (2, 3 gone) candidates 1, 4 → 16, 19 → 1.
  const expected = [
    { candidates: [[1, 13], [2, 11], [3, 12], [4, 11]], chosen: 2 },
    { candidates: [[1, 14], [3, 13], [4, 17]], chosen: 3 },
    { candidates: [[1, 16], [4, 19]], chosen: 1 },
  ];

  it('candidates, losses, ppl, chosen block per step; removeBlocks ascending', async () => {
    const runner = scriptedBlockRunner({ nll: nll6 });
    const plan = await sleb.run(ctx(runner, 6), { blocks: 3 });
    expect(plan.methodId).toBe('sleb');
    expect(plan.params).toEqual({ blocks: 3, protectEnds: true });
    expect(plan.trace.map((t) => t.kind)).toEqual(['sleb-step', 'sleb-step', 'sleb-step']);
    const steps = plan.trace as Step[];
    steps.forEach((s, i) => {
      expect(s.step).toBe(i);
      expect(s.chosen).toBe(expected[i].chosen);
      expect(s.candidates.map((c) => [c.block, c.nll])).toEqual(expected[i].candidates);
      for (const c of s.candidates) expect(c.ppl).toBeCloseTo(Math.exp(c.nll / SCORED), 12);
    });
    expect(plan.removeBlocks).toEqual([1, 2, 3]);
    expect(plan.masks).toEqual({});
    expect(plan.updates).toEqual({});
    expect(plan.targetBlockSparsity).toBeNull();
  });

  it('each candidate is scored with every earlier removal gated off too', async () => {
    const runner = scriptedBlockRunner({ nll: nll6 });
    await sleb.run(ctx(runner, 6), { blocks: 3 });
    const gatesFor = (off: number[]) => Array.from({ length: 6 }, (_, i) => (off.includes(i) ? 0 : 1));
    expect(runner.gateCalls).toEqual([
      gatesFor([1]), gatesFor([2]), gatesFor([3]), gatesFor([4]),
      gatesFor([2, 1]), gatesFor([2, 3]), gatesFor([2, 4]),
      gatesFor([2, 3, 1]), gatesFor([2, 3, 4]),
    ]);
  });

  it('stats: forwardPasses = Σ candidates = 4 + 3 + 2, one session, calibration time from the runner (deltas)', async () => {
    const runner = scriptedBlockRunner({ nll: nll6, msPerPass: 2, start: { sessionsCreated: 4, forwardPasses: 100, forwardMs: 1000 } });
    const plan = await sleb.run(ctx(runner, 6), { blocks: 3 });
    expect(plan.stats.forwardPasses).toBe(9);
    expect(plan.stats.sessionsCreated).toBe(1);
    expect(plan.stats.calibrationMs).toBe(18);
    expect(plan.stats.methodMs).toBeGreaterThanOrEqual(0);
  });

  it('progress: one event per candidate (chosen −1, the candidates so far), then one with the chosen block', async () => {
    const events: MethodProgress[] = [];
    const plan = await sleb.run(ctx(scriptedBlockRunner({ nll: nll6 }), 6, { onProgress: (p) => events.push(p) }), { blocks: 3 });
    // 4 + 1 + 3 + 1 + 2 + 1 events; fractions count evaluations over the 9 in all.
    expect(events.length).toBe(12);
    const evals = [1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 9];
    events.forEach((e, i) => expect(e.fraction).toBe(evals[i] / 9));
    expect(events[0].message).toBe(`SLEB step 1/3: without block 1, ppl ${Math.exp(13 / SCORED).toFixed(4)}`);
    expect(events[6].message).toBe(`SLEB step 2/3: without block 3, ppl ${Math.exp(13 / SCORED).toFixed(4)}`);
    expect(events[4].message).toBe('SLEB step 1/3: removing block 2');
    expect(events[11].message).toBe('SLEB step 3/3: removing block 1');
    const t1 = events[1].trace as Step;
    expect(t1).toEqual({ kind: 'sleb-step', step: 0, candidates: (plan.trace[0] as Step).candidates.slice(0, 2), chosen: -1 });
    expect(events[4].trace).toEqual(plan.trace[0]);
    expect(events[4].trace).not.toBe(plan.trace[0]);
    expect((events[9].trace as Step).chosen).toBe(-1);
    expect((events[9].trace as Step).step).toBe(2);
    // Events are snapshots: later candidates do not appear in earlier events.
    expect((events[0].trace as Step).candidates.length).toBe(1);
  });
});

describe('SLEB rules', () => {
  it('strict <: the first of equal losses is kept, whatever comes after', async () => {
    const flat = scriptedBlockRunner({ nll: () => 7 });
    const plan = await sleb.run(ctx(flat, 5), { blocks: 2 });
    expect((plan.trace as Step[]).map((s) => s.chosen)).toEqual([1, 2]);
    expect(plan.removeBlocks).toEqual([1, 2]);
  });

  it('protectEnds: the first and last SURVIVING blocks are never candidates', async () => {
    // Block 1 is cheapest so it goes first; block 0 stays the first survivor and block 4 the last.
    const cost = [0, 1, 5, 6, 0];
    const runner = scriptedBlockRunner({ nll: costNll(cost) });
    const plan = await sleb.run(ctx(runner, 5), { blocks: 3 });
    expect((plan.trace as Step[]).map((s) => s.candidates.map((c) => c.block))).toEqual([[1, 2, 3], [2, 3], [3]]);
    expect(plan.removeBlocks).toEqual([1, 2, 3]);
  });

  it('without protectEnds every surviving block is a candidate, block 0 included', async () => {
    const cost = [0.1, 1, 2];
    const runner = scriptedBlockRunner({ nll: costNll(cost) });
    const plan = await sleb.run(ctx(runner, 3), { blocks: 2, protectEnds: false });
    expect(plan.params).toEqual({ blocks: 2, protectEnds: false });
    expect((plan.trace as Step[]).map((s) => [s.candidates.map((c) => c.block), s.chosen])).toEqual([
      [[0, 1, 2], 0],
      [[1, 2], 1],
    ]);
    expect(plan.removeBlocks).toEqual([0, 1]);
    expect(plan.stats.forwardPasses).toBe(5);
  });

  it('a non-finite loss is never chosen; a finite one after it is', async () => {
    const runner = scriptedBlockRunner({ nll: (g) => (g[1] ? (g[2] ? 0 : 3) : NaN) });
    const plan = await sleb.run(ctx(runner, 4), { blocks: 1 });
    expect((plan.trace as Step[])[0].chosen).toBe(2);
  });

  it('defaults: one block, ends protected', async () => {
    const plan = await sleb.run(ctx(scriptedBlockRunner({ nll: nll6 }), 6), {});
    expect(plan.params).toEqual({ blocks: 1, protectEnds: true });
    expect(plan.removeBlocks).toEqual([2]);
  });

  it.each([
    [{ blocks: 1.5 }, 'sleb: blocks must be an integer, got 1.5'],
    [{ blocks: 0 }, 'sleb: blocks must be in [1, 1024], got 0'],
    [{ protectEnds: 'yes' }, 'sleb: protectEnds must be true or false, got yes'],
  ])('parameter errors name the method: %j', async (values, message) => {
    const e = await rejection(sleb.run(ctx(scriptedBlockRunner({ nll: nll6 }), 6), values));
    expect([e.code, e.message]).toEqual(['bad-argument', message]);
  });

  it('k at the limit (L − 2 protected, L − 1 not) works', async () => {
    expect((await sleb.run(ctx(scriptedBlockRunner({ nll: nll6 }), 6), { blocks: 4 })).removeBlocks).toEqual([1, 2, 3, 4]);
    const plan = await sleb.run(ctx(scriptedBlockRunner({ nll: nll6 }), 6), { blocks: 5, protectEnds: false });
    expect(plan.removeBlocks.length).toBe(5);
    expect(plan.stats.forwardPasses).toBe(6 + 5 + 4 + 3 + 2);
  });
});

describe('SLEB limits and errors', () => {
  const zeros = (L: number) => scriptedBlockRunner({ nll: costNll(new Array(L).fill(0)) });

  it('too many blocks: the limit depends on protectEnds; one block must stay', async () => {
    let e = await rejection(sleb.run(ctx(zeros(4), 4), { blocks: 3 }));
    expect([e.code, e.message]).toEqual(['bad-argument', 'sleb: cannot remove 3 of 4 blocks with the first and last block protected; at most 2']);
    e = await rejection(sleb.run(ctx(zeros(4), 4), { blocks: 4, protectEnds: false }));
    expect([e.code, e.message]).toEqual(['bad-argument', 'sleb: cannot remove 4 of 4 blocks (one must stay); at most 3']);
    e = await rejection(sleb.run(ctx(zeros(1), 1), { blocks: 1 }));
    expect(e.message).toBe('sleb: cannot remove 1 of 1 blocks with the first and last block protected; at most 0');
    expect((await sleb.run(ctx(scriptedBlockRunner({ nll: costNll([0, 1, 1, 0], 10) }), 4), { blocks: 2 })).removeBlocks).toEqual([1, 2]);
  });

  it('no calibration windows; every candidate non-finite', async () => {
    let e = await rejection(sleb.run(ctx(zeros(4), 4, { windows: [] }), { blocks: 1 }));
    expect([e.code, e.message]).toEqual(['bad-argument', 'sleb: needs calibration windows']);
    e = await rejection(sleb.run(ctx(scriptedBlockRunner({ nll: costNll([0, NaN, NaN, 0], 10) }), 4), { blocks: 1 }));
    expect([e.code, e.message]).toEqual(['internal', 'sleb: every candidate at step 0 gave a non-finite loss']);
  });

  it('slebCandidates: inner blocks when protected, a copy of all otherwise', () => {
    const alive = [0, 2, 3, 5];
    expect(slebCandidates(alive, true)).toEqual([2, 3]);
    const all = slebCandidates(alive, false);
    expect(all).toEqual(alive);
    expect(all).not.toBe(alive);
  });
});

describe('SLEB cancel', () => {
  it('stops before the next candidate once aborted', async () => {
    const controller = new AbortController();
    const runner = scriptedBlockRunner({ nll: nll6 });
    runner.onCall = (n) => n === 2 && controller.abort();
    const e = await rejection(sleb.run(ctx(runner, 6, { signal: controller.signal }), { blocks: 3 }));
    expect(e.code).toBe('cancelled');
    expect(runner.gateCalls.length).toBe(2);
  });

  it('an abort after the last step still cancels the run', async () => {
    const controller = new AbortController();
    const onProgress = (p: MethodProgress) => p.message.startsWith('SLEB step 2/2: removing') && controller.abort();
    const e = await rejection(sleb.run(ctx(scriptedBlockRunner({ nll: nll6 }), 6, { signal: controller.signal, onProgress }), { blocks: 2 }));
    expect(e.code).toBe('cancelled');
  });

  it('an aborted signal stops it before any forward pass', async () => {
    const runner = scriptedBlockRunner({ nll: nll6 });
    expect((await rejection(sleb.run(ctx(runner, 6, { signal: abortedSignal() }), { blocks: 1 }))).code).toBe('cancelled');
    expect(runner.forwardPasses).toBe(0);
  });
});
