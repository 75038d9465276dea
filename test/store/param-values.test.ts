// Form values from declared ParamSpecs: defaults per type, parsing and validation with messages.

import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../src/pruning/method';
import { defaultFormValues, parseBlockList, parseParam, parseParams } from '../../src/store/param-values';

const sparsity: ParamSpec = { name: 'sparsity', label: 'Sparsity', type: 'number', default: 0.5, min: 0, max: 0.99, step: 0.01, help: 'h' };
const steps: ParamSpec = { name: 'steps', label: 'Steps', type: 'integer', default: 2, min: 1, max: 4, step: 1, help: 'h' };
const pattern: ParamSpec = {
  name: 'pattern', label: 'Pattern', type: 'enum', default: 'unstructured',
  options: [{ value: 'unstructured', label: 'Unstructured' }, { value: '2:4', label: '2:4' }], help: 'h',
};
const flag: ParamSpec = { name: 'flag', label: 'Flag', type: 'boolean', default: true, help: 'h' };
const blocks: ParamSpec = { name: 'blocks', label: 'Blocks', type: 'block-list', default: '1,3', help: 'h' };
const all = [sparsity, steps, pattern, flag, blocks];

describe('param values', () => {
  it('defaults: numbers as text, enums as their value, booleans as flags, block lists as text', () => {
    expect(defaultFormValues(all)).toEqual({ sparsity: '0.5', steps: '2', pattern: 'unstructured', flag: true, blocks: '1,3' });
  });

  it('defaults parse back to the declared defaults', () => {
    const parsed = parseParams(all, defaultFormValues(all), 5);
    expect(parsed.errors).toEqual({});
    expect(parsed.values).toEqual({ sparsity: 0.5, steps: 2, pattern: 'unstructured', flag: true, blocks: '1,3' });
  });

  it('typed values become request values; missing ones take defaults', () => {
    const parsed = parseParams(all, { sparsity: ' 0.7 ', flag: false, blocks: '4, 0,4', pattern: '2:4' }, 5);
    expect(parsed.values).toEqual({ sparsity: 0.7, steps: 2, pattern: '2:4', flag: false, blocks: '0,4' });
  });

  it('rejects out-of-range, non-integer, empty and non-numeric numbers with the label and range', () => {
    expect(parseParam(sparsity, '1.5')).toEqual({ error: 'Sparsity: must be between 0 and 0.99, got 1.5.' });
    expect(parseParam(sparsity, '')).toEqual({ error: 'Sparsity: enter a number.' });
    expect(parseParam(sparsity, 'abc')).toEqual({ error: 'Sparsity: enter a number.' });
    expect(parseParam(steps, '2.5')).toEqual({ error: 'Steps: enter a whole number.' });
    expect(parseParam(steps, '0')).toEqual({ error: 'Steps: must be between 1 and 4, got 0.' });
    expect(parseParam({ ...steps, max: undefined }, '0')).toEqual({ error: 'Steps: must be at least 1, got 0.' });
  });

  it('rejects an enum value that is not an option', () => {
    expect(parseParam(pattern, '3:7')).toEqual({ error: 'Pattern: choose one of Unstructured, 2:4.' });
  });

  it('block lists: whole numbers only, inside the model, at least one block left', () => {
    expect(parseBlockList('3, 1,,1 ')).toEqual([1, 3]);
    expect(parseBlockList('1;2')).toBeNull();
    expect(parseBlockList('-1')).toBeNull();
    expect(parseParam(blocks, 'a,b')).toMatchObject({ error: expect.stringContaining('e.g. 1,3') });
    expect(parseParam(blocks, '2,5', 5)).toEqual({ error: 'Blocks: block 5 does not exist (the model has blocks 0–4).' });
    expect(parseParam(blocks, '0,1,2,3,4', 5)).toEqual({ error: 'Blocks: at least one block must stay.' });
    expect(parseParam(blocks, '9')).toEqual({ value: '9' }); // no model loaded: the lab checks
  });

  it('collects every error by parameter name', () => {
    const parsed = parseParams(all, { sparsity: '2', steps: 'x' }, 5);
    expect(Object.keys(parsed.errors).sort()).toEqual(['sparsity', 'steps']);
    expect(parsed.values).toEqual({ pattern: 'unstructured', flag: true, blocks: '1,3' });
  });
});
