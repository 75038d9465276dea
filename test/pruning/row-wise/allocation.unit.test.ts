// Allocation schedules: OWL (check 8), NeuroAL block ramp and row step (check 9), grids.
import { describe, expect, it } from 'vitest';
import { NEUROAL_ROW_GRID, neuroalBlockGrid, neuroalBlockSparsities, neuroalRowSparsities, outlierRatio, owlBlockSparsities } from '../../../src/pruning/row-wise/allocation';

describe('OWL block sparsities', () => {
  const ratios = [3.1, 0.4, 1.7, 2.2, 0.9, 5.0, 1.1];
  const s = 0.6, lambda = 0.08;
  const out = owlBlockSparsities(ratios, s, lambda);
  it('average exactly s and span exactly 2λ', () => {
    expect(out.length).toBe(7);
    expect(out.reduce((a, b) => a + b, 0) / out.length).toBeCloseTo(s, 12);
    expect(Math.max(...out) - Math.min(...out)).toBeCloseTo(2 * lambda, 12);
  });
  it('lie in [s − λ, s + λ] when the ratios are spread symmetrically (the code centres on the mean, not the midrange)', () => {
    const sym = owlBlockSparsities([1, 2, 3, 4, 5], s, lambda);
    expect(sym.length).toBe(5);
    for (const v of sym) {
      expect(v).toBeGreaterThanOrEqual(s - lambda - 1e-12);
      expect(v).toBeLessThanOrEqual(s + lambda + 1e-12);
    }
    // Skewed ratios: still within s ± 2λ, as the code computes it.
    for (const v of out) expect(Math.abs(v - s)).toBeLessThanOrEqual(2 * lambda);
  });
  it('are ordered inversely to the outlier ratio', () => {
    for (let i = 0; i < ratios.length; i++)
      for (let j = 0; j < ratios.length; j++) if (ratios[i] > ratios[j]) expect(out[i]).toBeLessThan(out[j]);
  });
  it('outlier ratio counts scores above M·mean, in percent', () => {
    expect(outlierRatio([[1, 1, 1, 1, 1, 1, 1, 1, 1, 41]], 5)).toBe(10); // mean 5 → threshold 25
  });
});

describe('NeuroAL block step', () => {
  it('is a linear ramp s − λ (first block) → s + λ (last block)', () => {
    const s = 0.5, lambda = 0.1, L = 6;
    const out = neuroalBlockSparsities(L, s, lambda);
    expect(out.length).toBe(L);
    out.forEach((v, i) => expect(v).toBeCloseTo(s - lambda + (2 * lambda * i) / (L - 1), 12));
  });
  it('grids follow §3.3/3.4: 0.25 only when s < 0.8, no λ = 0 in the block grid unless asked', () => {
    expect(neuroalBlockGrid(0.7)).toEqual([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.25]);
    expect(neuroalBlockGrid(0.8)).toEqual([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2]);
    expect(neuroalBlockGrid(0.5, true)[0]).toBe(0);
    expect(NEUROAL_ROW_GRID).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.25]);
  });
});

describe('NeuroAL row step', () => {
  const alignment = [0.3, -0.1, 0.05, 0.9, 0.2, -0.4, 0.0, 0.6];
  it('averages to the layer sparsity before clipping; more lost activation → lower sparsity', () => {
    const out = neuroalRowSparsities(alignment, 0.55, 0.15, false)!;
    expect(out.reduce((a, b) => a + b, 0) / out.length).toBeCloseTo(0.55, 12);
    expect(out[3]).toBe(Math.min(...out)); // largest dense − sparse keeps the most weights
    expect(out[5]).toBe(Math.max(...out));
  });
  it('λ = 0 gives exactly the layer sparsity; zero total alignment keeps the block value', () => {
    expect(neuroalRowSparsities(alignment, 0.55, 0)).toEqual(new Array(8).fill(0.55));
    expect(neuroalRowSparsities([1, -1, 0.5, -0.5], 0.5, 0.1)).toBeNull();
  });
  it('clips to [0.01, 0.99]', () => {
    const out = neuroalRowSparsities([0, 0, 0, 10], 0.95, 0.25)!;
    expect(Math.max(...out)).toBe(0.99);
  });
});

describe('allocation edge cases', () => {
  it('outlierRatio of no scores is 0', () => {
    expect(outlierRatio([], 5)).toBe(0);
    expect(outlierRatio([new Float32Array(0)], 5)).toBe(0);
  });
  it('OWL: equal outlier ratios give the uniform sparsity', () => {
    expect(owlBlockSparsities([3, 3, 3], 0.5, 0.08)).toEqual([0.5, 0.5, 0.5]);
  });
  it('OWL clip: exactly 0 → 0.01 and exactly 1 → 0.99', () => {
    // ratios [0, 1] → sparsities [s + λ, s − λ] exactly.
    expect(owlBlockSparsities([0, 1], 0.25, 0.25)).toEqual([0.5, 0.01]);
    expect(owlBlockSparsities([0, 1], 0.75, 0.25)).toEqual([0.99, 0.5]);
  });
  it('NeuroAL block step: one block or λ = 0 gives exactly s', () => {
    expect(neuroalBlockSparsities(1, 0.5, 0.1)).toEqual([0.5]);
    expect(neuroalBlockSparsities(3, 0.3, 0)).toEqual([0.3, 0.3, 0.3]);
  });
  it('NeuroAL row step: null only for total alignment 0 or all rows equal', () => {
    expect(neuroalRowSparsities([2, 1, 1], 0.5, 0.1)).not.toBeNull(); // Σ = 4, though 2 − 1 − 1 = 0
    expect(neuroalRowSparsities([1, 1, 1], 0.5, 0.1)).toBeNull();
    expect(neuroalRowSparsities([1, -1], 0.5, 0.1)).toBeNull();
  });
});
