// ShortGPT (methods.md §4.2) on scripted Block Influence values: one influence pass, the k smallest
// BI removed at once (ties → lower index), one 'block-influence' trace entry with every block's score,
// progress 0 → 1, parameter errors, cancel before and after the pass, stats deltas.
import { describe, expect, it } from 'vitest';
import type { MethodProgress, PruningContext } from '../../../src/pruning/method';
import { shortgpt, smallestK } from '../../../src/pruning/methods/shortgpt';
import { rejection } from '../helpers/errors';
import { abortedSignal, blocksOnlySpec, scriptedBlockRunner, type ScriptedBlockRunner } from '../helpers/scripted-block-runner';

const windows = [Int32Array.from([1, 2, 3])];
const BI = [0.3, 0.1, 0.1, 0.05, 0.2, 0.4];

function ctx(runner: ScriptedBlockRunner, L: number, extra: Partial<PruningContext> = {}): PruningContext {
  return { spec: blocksOnlySpec(L), runner, windows, ...extra };
}

/** The rule, independently: sort indices by (score, index), take k, report ascending. */
function expectedRemoval(scores: number[], k: number): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] === scores[b] ? a - b : scores[a] < scores[b] ? -1 : 1));
  return order.slice(0, k).sort((a, b) => a - b);
}

describe('ShortGPT', () => {
  it.each([1, 2, 3, 5])('k = %i: the k smallest influences go, ties to the lower index', async (k) => {
    const plan = await shortgpt.run(ctx(scriptedBlockRunner({ influence: BI }), 6), { blocks: k });
    expect(plan.removeBlocks).toEqual(expectedRemoval(BI, k));
    expect(plan.params).toEqual({ blocks: k });
  });

  it('by hand: k = 2 removes 3 (0.05) and 1 (0.1, tied with 2), listed ascending', async () => {
    const plan = await shortgpt.run(ctx(scriptedBlockRunner({ influence: BI }), 6), { blocks: 2 });
    expect(plan.removeBlocks).toEqual([1, 3]);
    expect(plan.methodId).toBe('shortgpt');
  });

  it('one influence pass; the trace lists every block’s score; progress 0 → 1 with a copy of the entry', async () => {
    const runner = scriptedBlockRunner({ influence: BI, msPerPass: 3, start: { forwardPasses: 7, sessionsCreated: 2, forwardMs: 50 } });
    const events: MethodProgress[] = [];
    const plan = await shortgpt.run(ctx(runner, 6, { onProgress: (p) => events.push(p) }), { blocks: 3 });
    expect(runner.influenceCalls).toBe(1);
    expect(runner.gateCalls.length).toBe(0);
    expect(plan.trace).toEqual([{ kind: 'block-influence', scores: BI.map((influence, block) => ({ block, influence })) }]);
    expect(events.map((e) => [e.fraction, e.message])).toEqual([
      [0, 'ShortGPT: measuring Block Influence'],
      [1, 'ShortGPT: removing blocks 1, 2, 3'],
    ]);
    expect(events[0].trace).toBeUndefined();
    expect(events[1].trace).toEqual(plan.trace[0]);
    expect(events[1].trace).not.toBe(plan.trace[0]);
    expect(plan.stats).toMatchObject({ forwardPasses: 1, sessionsCreated: 1, calibrationMs: 3 });
    expect(plan.targetBlockSparsity).toBeNull();
    expect(plan.masks).toEqual({});
  });

  it('default: one block', async () => {
    const plan = await shortgpt.run(ctx(scriptedBlockRunner({ influence: BI }), 6), {});
    expect(plan.params).toEqual({ blocks: 1 });
    expect(plan.removeBlocks).toEqual([3]);
  });

  it.each([
    [{ blocks: 2.5 }, 'shortgpt: blocks must be an integer, got 2.5'],
    [{ blocks: 0 }, 'shortgpt: blocks must be in [1, 1024], got 0'],
    [{ blocks: 6 }, 'shortgpt: cannot remove 6 of 6 blocks; at most 5'],
  ])('errors: %j', async (values, message) => {
    const runner = scriptedBlockRunner({ influence: BI });
    const e = await rejection(shortgpt.run(ctx(runner, 6), values));
    expect([e.code, e.message]).toEqual(['bad-argument', message]);
    expect(runner.influenceCalls).toBe(0);
  });

  it('cancel: before the pass (no pass run) and during it (no plan)', async () => {
    const idle = scriptedBlockRunner({ influence: BI });
    expect((await rejection(shortgpt.run(ctx(idle, 6, { signal: abortedSignal() }), { blocks: 1 }))).code).toBe('cancelled');
    expect(idle.influenceCalls).toBe(0);

    const during = new AbortController();
    const runner = scriptedBlockRunner({ influence: BI });
    runner.onCall = () => during.abort();
    const events: MethodProgress[] = [];
    const e = await rejection(shortgpt.run(ctx(runner, 6, { signal: during.signal, onProgress: (p) => events.push(p) }), { blocks: 1 }));
    expect(e.code).toBe('cancelled');
    expect(events.length).toBe(1);
  });
});

describe('smallestK', () => {
  it('ascending score order, ties by index, k may be 0 or all', () => {
    expect(smallestK([0.4, 0.2, 0.2, 0.1], 3)).toEqual([3, 1, 2]);
    expect(smallestK([0.4, 0.2, 0.2, 0.1], 0)).toEqual([]);
    expect(smallestK([1, -1, 0], 3)).toEqual([1, 2, 0]);
    expect(smallestK([3, 1, 2, 1, 0], 3)).toEqual([4, 1, 3]);
    expect(smallestK([2, 2, 2], 2)).toEqual([0, 1]);
  });
});
