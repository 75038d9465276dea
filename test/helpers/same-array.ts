// Exact equality of two numeric arrays, fast: vitest's deep toEqual walks a typed array element by
// element through its generic equality (seconds for a model's weights). Reports the first difference.

import { expect } from 'vitest';

export function expectSameArray(actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, name = 'array'): void {
  expect(actual, `${name}: missing`).toBeDefined();
  expect(actual!.length, `${name}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    // Object.is: NaN equals NaN, and -0 differs from 0, as toEqual would have it.
    if (!Object.is(actual![i], expected[i])) expect(actual![i], `${name}[${i}]`).toBe(expected[i]);
  }
}
