// Manual block removal (validation, plan, applied spec) and the method registry.

import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { applyPlan } from '../../src/pruning/apply-plan';
import { dropBlocks, parseBlockList } from '../../src/pruning/methods/drop-blocks';
import { getMethod, methodInfo, methods } from '../../src/pruning/registry';
import { createCalibrationRunner } from '../../src/runtime/calibration-runner';
import { storiesSpec } from './helpers/stories';

describe('drop-blocks', () => {
  it('parses and validates block lists', () => {
    expect(parseBlockList('3, 1', 5)).toEqual([1, 3]);
    expect(parseBlockList('0', 5)).toEqual([0]);
    const bad: [string, RegExp][] = [
      ['5', /block 5 does not exist; the model has blocks 0\.\.4/],
      ['1,1', /block 1 is listed twice/],
      ['0,1,2,3,4', /removing all 5 blocks/],
      ['a', /'a' is not a block index/],
      ['-1', /'-1' is not a block index/],
      ['1.5', /'1\.5' is not a block index/],
      ['', /at least one block/],
      [' , ', /at least one block/],
    ];
    for (const [value, message] of bad) {
      let error: unknown = null;
      try {
        parseBlockList(value, 5);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LabError);
      expect(error).toMatchObject({ code: 'bad-argument', message: expect.stringMatching(message) });
    }
  });

  it('plans the listed blocks; the applied spec is physically shorter with the right source blocks', async () => {
    const runner = createCalibrationRunner({ backend: 'wasm' });
    const plan = await dropBlocks.run({ spec: storiesSpec, runner, windows: [] }, { blocks: '3,1' });
    expect(plan.removeBlocks).toEqual([1, 3]);
    expect(plan.params).toEqual({ blocks: '1,3' });
    expect(plan.stats).toMatchObject({ forwardPasses: 0, sessionsCreated: 0 });
    const pruned = applyPlan(storiesSpec, plan);
    expect(pruned.layers.map((l) => l.sourceIndex)).toEqual([0, 2, 4]);
    expect(pruned.weights.get('model.layers.1.self_attn.q_proj.weight')).toBe(storiesSpec.weights.get('model.layers.2.self_attn.q_proj.weight'));
    expect(pruned.weights.has('model.layers.3.self_attn.q_proj.weight')).toBe(false);
    await expect(dropBlocks.run({ spec: storiesSpec, runner, windows: [] }, { blocks: '7' })).rejects.toMatchObject({ code: 'bad-argument' });
    await runner.dispose();
  });
});

describe('registry', () => {
  it('lists all 11 methods in display order, as plain data', () => {
    expect(methods.map((m) => m.id)).toEqual(['magnitude', 'wanda', 'sparsegpt', 'owl', 'neuroal', 'sleb', 'shortgpt', 'drop-blocks', 'dress', 'channels', 'movement']);
    const info = methodInfo();
    expect(structuredClone(info)).toEqual(info);
    expect(info.filter((m) => m.kind === 'blocks').map((m) => m.id)).toEqual(['sleb', 'shortgpt', 'drop-blocks']);
    const slebInfo = info.find((m) => m.id === 'sleb')!;
    expect(slebInfo.params.map((p) => [p.name, p.type, p.default])).toEqual([
      ['blocks', 'integer', 1],
      ['protectEnds', 'boolean', true],
    ]);
    expect(info.find((m) => m.id === 'drop-blocks')!.params[0]).toMatchObject({ name: 'blocks', type: 'block-list' });
    expect(info.length).toBe(11);
    expect(info.every((m) => m.params.length > 0)).toBe(true);
    for (const m of info) for (const p of m.params) expect(p.help.length).toBeGreaterThan(10);
  });

  it('names the parameter a sweep varies (a declared param of the right type), except for drop-blocks', () => {
    expect(methodInfo().length).toBe(11);
    for (const m of methodInfo()) {
      if (m.id === 'drop-blocks') {
        expect(m.ratioParam).toBeUndefined();
        continue;
      }
      const spec = m.params.find((p) => p.name === m.ratioParam?.name);
      expect(spec?.type, m.id).toBe(m.ratioParam!.unit === 'fraction' ? 'number' : 'integer');
      expect(m.ratioParam!.unit).toBe(m.kind === 'blocks' ? 'blocks' : 'fraction');
    }
  });

  it('getMethod finds by id and names the known ids for an unknown one', () => {
    expect(getMethod('shortgpt').label).toBe('ShortGPT');
    expect(() => getMethod('slep')).toThrow(/unknown pruning method 'slep'; known: magnitude, wanda, sparsegpt, owl, neuroal, sleb, shortgpt, drop-blocks, dress, channels/);
    try {
      getMethod('x');
    } catch (e) {
      expect(e).toMatchObject({ code: 'bad-argument' });
    }
  });
});
