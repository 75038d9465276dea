// The method registry: the 8 methods in display order, getMethod by id (and its error naming the known
// ids), methodInfo as plain copies of every declaration without the run function.
import { describe, expect, it } from 'vitest';
import { getMethod, methodInfo, methods } from '../../../src/pruning/registry';

describe('registry', () => {
  it('lists the 8 methods in display order; getMethod finds by id', () => {
    expect(methods.map((m) => m.id)).toEqual(['magnitude', 'wanda', 'sparsegpt', 'owl', 'neuroal', 'sleb', 'shortgpt', 'drop-blocks', 'dress', 'channels', 'movement']);
    for (const m of methods) expect(getMethod(m.id)).toBe(m);
  });
  it('getMethod names the known ids for an unknown one', () => {
    let error: { code?: string; message?: string; details?: unknown } = {};
    try {
      getMethod('slep');
    } catch (e) {
      error = e as typeof error;
    }
    expect(error).toMatchObject({
      code: 'bad-argument',
      message: "unknown pruning method 'slep'; known: magnitude, wanda, sparsegpt, owl, neuroal, sleb, shortgpt, drop-blocks, dress, channels, movement",
      details: { methodId: 'slep' },
    });
  });
  it('methodInfo: plain copies of every declaration, no run function', () => {
    const info = methodInfo();
    expect(info.length).toBe(11);
    info.forEach((m, i) => {
      const src = methods[i];
      expect(m).toEqual({
        id: src.id,
        label: src.label,
        kind: src.kind,
        summary: src.summary,
        paper: src.paper,
        params: src.params,
        ...(src.ratioParam ? { ratioParam: src.ratioParam } : {}),
        needsCalibration: src.needsCalibration,
      });
      expect(m.paper).not.toBe(src.paper);
      m.params.forEach((p, j) => {
        expect(p).not.toBe(src.params[j]);
        if (p.options) p.options.forEach((o, k) => expect(o).not.toBe(src.params[j].options![k]));
      });
      if (src.ratioParam) expect(m.ratioParam).not.toBe(src.ratioParam);
      else expect('ratioParam' in m).toBe(false);
    });
    expect(structuredClone(info)).toEqual(info);
  });
});
