// The adapter self-test's comparison and fault hook, run for real on onnxruntime-web's WASM (Node has no
// WebGPU): WASM against WASM agrees exactly; a perturbed candidate, a NaN or a wrong length is caught.

import { describe, expect, it } from 'vitest';
import { compareOutputs, perturb, runAdapterSelfTest, selfTestFailure } from '../../src/runtime/adapter-self-test';

describe('adapter self-test', () => {
  it('passes WASM against itself: matmul, softmax and the block chain agree exactly', async () => {
    const result = await runAdapterSelfTest('wasm');
    expect(result.checks.map((c) => c.name)).toEqual(['matmul', 'softmax', 'block']);
    expect(result.passed).toBe(true);
    expect(result.failure).toBeNull();
    for (const check of result.checks) {
      expect(check.maxAbsDiff).toBe(0);
      expect(check.scale).toBeGreaterThan(0);
    }
  });

  it('flags an injected fault of 1% and names the check and the difference', async () => {
    const result = await runAdapterSelfTest('wasm', { fault: 0.01 });
    expect(result.passed).toBe(false);
    expect(result.checks.every((c) => !c.passed)).toBe(true);
    expect(result.failure).toMatch(/^its matmul result differs from WASM by [0-9.e+-]+ \(allowed [0-9.e+-]+\)$/);
  });

  it('counts NaN and a wrong length as failures; a tiny reordering error passes', () => {
    const reference = Float32Array.from([1, -2, 3, 0.5]);
    expect(compareOutputs('x', Float32Array.from([1, NaN, 3, 0.5]), reference).passed).toBe(false);
    expect(compareOutputs('x', Float32Array.from([1, -2, 3]), reference).passed).toBe(false);
    expect(compareOutputs('x', reference.map((v) => v * (1 + 1e-6)), reference).passed).toBe(true);
    expect(perturb(reference, 0.01)[0]).toBeCloseTo(1.02, 6);
    expect(selfTestFailure([compareOutputs('x', reference, reference)])).toBeNull();
  });
});
