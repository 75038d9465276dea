// resolveParams and the shared row-wise parameter declarations: defaults filled, ranges, integer,
// enum and boolean checks, each with the method id and parameter name in the message.
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../../src/pruning/method';
import { baseParam, patternParam, resolveParams, sparsityParam } from '../../../src/pruning/row-wise/params';

const specs: ParamSpec[] = [
  sparsityParam,
  patternParam,
  baseParam,
  { name: 'k', label: 'k', type: 'integer', default: 2, min: 1, max: 4, help: 'an integer' },
  { name: 'flag', label: 'flag', type: 'boolean', default: false, help: 'a flag' },
];

describe('resolveParams', () => {
  it('fills every default and keeps given values', () => {
    expect(resolveParams('m', specs, {})).toEqual({ sparsity: 0.5, pattern: 'unstructured', base: 'wanda', k: 2, flag: false });
    expect(resolveParams('m', specs, { sparsity: 0.7, pattern: '2:4', base: 'sparsegpt', k: 4, flag: true })).toEqual({ sparsity: 0.7, pattern: '2:4', base: 'sparsegpt', k: 4, flag: true });
  });
  it('accepts the range ends, rejects just outside', () => {
    expect(resolveParams('m', specs, { sparsity: 0 }).sparsity).toBe(0);
    expect(resolveParams('m', specs, { sparsity: 0.99 }).sparsity).toBe(0.99);
    expect(() => resolveParams('m', specs, { sparsity: -0.01 })).toThrow(/^m: sparsity must be in \[0, 0.99\], got -0.01$/);
    expect(() => resolveParams('m', specs, { sparsity: 1 })).toThrow(/sparsity must be in \[0, 0.99\], got 1/);
    expect(() => resolveParams('m', specs, { k: 0 })).toThrow(/k must be in \[1, 4\], got 0/);
    expect(() => resolveParams('m', specs, { k: 5 })).toThrow(/k must be in \[1, 4\], got 5/);
  });
  it('type checks: numbers finite, integers whole, enums from the options, booleans', () => {
    expect(() => resolveParams('m', specs, { sparsity: Number.NaN })).toThrow(/m: sparsity must be a number, got NaN/);
    expect(() => resolveParams('m', specs, { sparsity: '0.5' })).toThrow(/sparsity must be a number/);
    expect(() => resolveParams('m', specs, { k: 1.5 })).toThrow(/m: k must be an integer, got 1.5/);
    expect(() => resolveParams('m', specs, { pattern: '3:4' })).toThrow(/m: pattern must be one of unstructured, 2:4, 4:8, got 3:4/);
    expect(() => resolveParams('m', specs, { base: 'obs' })).toThrow(/base must be one of magnitude, wanda, sparsegpt/);
    expect(() => resolveParams('m', specs, { flag: 'yes' })).toThrow(/m: flag must be true or false, got yes/);
    try {
      resolveParams('m', specs, { k: 9 });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('bad-argument');
    }
  });
  it('declarations: sparsity 0..0.99 default 0.5; pattern unstructured/2:4/4:8; base defaults to Wanda', () => {
    expect([sparsityParam.default, sparsityParam.min, sparsityParam.max, sparsityParam.type]).toEqual([0.5, 0, 0.99, 'number']);
    expect(patternParam.options!.map((o) => o.value)).toEqual(['unstructured', '2:4', '4:8']);
    expect(baseParam.options!.map((o) => o.value)).toEqual(['magnitude', 'wanda', 'sparsegpt']);
    expect(baseParam.default).toBe('wanda');
  });
});
