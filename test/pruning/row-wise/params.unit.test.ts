// resolveParams and the shared row-wise parameter declarations: defaults filled, ranges, integer,
// enum and boolean checks, each with the method id and parameter name in the message.
import { describe, expect, it } from 'vitest';
import type { ParamSpec, ParamValue } from '../../../src/pruning/method';
import { baseParam, patternParam, resolveParams, sparsityParam } from '../../../src/pruning/row-wise/params';
import { thrown } from '../helpers/errors';

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

describe('resolveParams: error codes, enums without options, block lists', () => {
  const specs: ParamSpec[] = [
    { name: 'x', label: 'x', type: 'number', default: 1, min: 0, max: 2, help: '' },
    { name: 'e', label: 'e', type: 'enum', default: 'a', options: [{ value: 'a', label: 'A' }], help: '' },
    { name: 'b', label: 'b', type: 'boolean', default: false, help: '' },
    { name: 'blocks', label: 'blocks', type: 'block-list', default: '', help: '' },
  ];
  it.each<Record<string, ParamValue>>([{ x: 'one' }, { x: 3 }, { e: 'z' }, { b: 1 }])('%j → bad-argument', (values) => {
    expect(thrown(() => resolveParams('m', specs, values)).code).toBe('bad-argument');
  });
  it('an enum declared without options rejects every value as bad-argument', () => {
    const e = thrown(() => resolveParams('m', [{ name: 'e', label: 'e', type: 'enum', default: 'a', help: '' }], {}));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toMatch(/^m: e must be one of/);
  });
  it('a block-list value passes through unchecked', () => {
    expect(resolveParams('m', specs, { blocks: '0,2' })).toEqual({ x: 1, e: 'a', b: false, blocks: '0,2' });
  });
});
