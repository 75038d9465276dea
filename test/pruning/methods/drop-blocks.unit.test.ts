// drop-blocks: the block list "1,3" parsed strictly (decimal digits only, in range, no duplicates,
// not every block), the plan removes exactly those blocks without a forward pass, cancel, stats.
import { describe, expect, it } from 'vitest';
import type { MethodProgress } from '../../../src/pruning/method';
import { dropBlocks, parseBlockList } from '../../../src/pruning/methods/drop-blocks';
import { rejection, thrown } from '../helpers/errors';
import { abortedSignal, blocksOnlySpec, scriptedBlockRunner } from '../helpers/scripted-block-runner';

const parseError = (value: unknown, blocks: number) => thrown(() => parseBlockList(value, blocks));

describe('parseBlockList', () => {
  it('multi-digit indices, leading zeros, spaces, empty parts, numbers; sorted ascending', () => {
    expect(parseBlockList('10, 2', 12)).toEqual([2, 10]);
    expect(parseBlockList('11', 12)).toEqual([11]);
    expect(parseBlockList('007,,1,', 12)).toEqual([1, 7]);
    expect(parseBlockList(' 3, 1 ,', 5)).toEqual([1, 3]);
    expect(parseBlockList(0, 2)).toEqual([0]);
    expect(parseBlockList(2, 5)).toEqual([2]);
    expect(parseBlockList('0,1,2,3', 5)).toEqual([0, 1, 2, 3]); // all but one block
  });

  // Strings JavaScript's Number() would accept as integers are still not block indices.
  it.each(['1e0', '0x1', '+1', '1.0', '2 3', '１', 'x', '-1', '1.5'])('%j is not a block index', (s) => {
    expect(parseError(s, 12)).toMatchObject({ code: 'bad-argument', message: `drop-blocks: '${s}' is not a block index (0-based integers, comma-separated)` });
  });

  it.each([
    [true, 5, 'drop-blocks: blocks must be a list like "1,3", got true'],
    [null, 2, 'drop-blocks: blocks must be a list like "1,3", got null'],
    [' , ', 5, 'drop-blocks: list at least one block to remove, e.g. "1,3"'],
    ['1,x', 5, "drop-blocks: 'x' is not a block index (0-based integers, comma-separated)"],
    ['5', 5, 'drop-blocks: block 5 does not exist; the model has blocks 0..4'],
    ['12', 12, 'drop-blocks: block 12 does not exist; the model has blocks 0..11'],
    ['1,2,1', 5, 'drop-blocks: block 1 is listed twice'],
    ['3,03', 12, 'drop-blocks: block 3 is listed twice'],
    ['0,1,2,3,4', 5, 'drop-blocks: removing all 5 blocks leaves no model'],
    ['1,0', 2, 'drop-blocks: removing all 2 blocks leaves no model'],
  ])('%j of %i blocks → %s', (value, blocks, message) => {
    const e = parseError(value, blocks);
    expect([e.code, e.message]).toEqual(['bad-argument', message]);
  });
});

describe('dropBlocks.run', () => {
  it('removes the listed blocks, records them normalised, no forward pass', async () => {
    const runner = scriptedBlockRunner({ start: { forwardPasses: 3, sessionsCreated: 1 } });
    const events: MethodProgress[] = [];
    const plan = await dropBlocks.run({ spec: blocksOnlySpec(12), runner, windows: [], onProgress: (p) => events.push(p) }, { blocks: '10, 2' });
    expect(plan).toMatchObject({ methodId: 'drop-blocks', params: { blocks: '2,10' }, removeBlocks: [2, 10], masks: {}, updates: {}, trace: [], targetBlockSparsity: null });
    expect(plan.stats).toMatchObject({ forwardPasses: 0, sessionsCreated: 0, calibrationMs: 0 });
    expect(events).toEqual([{ fraction: 1, message: 'removing blocks 2, 10' }]);
  });

  it('default: block 1', async () => {
    const runner = scriptedBlockRunner();
    const plan = await dropBlocks.run({ spec: blocksOnlySpec(5), runner, windows: [] }, {});
    expect(plan.params).toEqual({ blocks: '1' });
    expect(plan.removeBlocks).toEqual([1]);
    expect(runner.forwardPasses).toBe(0);
  });

  it('errors are bad-argument; a cancelled run plans nothing', async () => {
    const spec = blocksOnlySpec(3);
    expect(await rejection(dropBlocks.run({ spec, runner: scriptedBlockRunner(), windows: [] }, { blocks: '3' }))).toMatchObject({ code: 'bad-argument' });
    const events: MethodProgress[] = [];
    const e = await rejection(dropBlocks.run({ spec, runner: scriptedBlockRunner(), windows: [], signal: abortedSignal(), onProgress: (p) => events.push(p) }, { blocks: '1' }));
    expect(e.code).toBe('cancelled');
    expect(events).toEqual([]);
  });
});
