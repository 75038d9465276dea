// pruneLayer and wandaScores errors: each names the layer (N:M shape, missing statistics, SparseGPT
// without a Gram matrix or with per-row targets, row-count mismatch, norms of the wrong width).
import { describe, expect, it } from 'vitest';
import type { WeightTensor } from '../../../src/model/model-spec';
import type { LinearInputStats } from '../../../src/pruning/calibration';
import { mulberry32 } from '../../../src/pruning/calibration-data';
import { pruneLayer, wandaScores } from '../../../src/pruning/row-wise/layer-pruners';
import { thrown } from '../helpers/errors';

const tensor = (rows: number, cols: number, seed = 1): WeightTensor => {
  const r = mulberry32(seed);
  return { shape: [rows, cols], data: Float32Array.from({ length: rows * cols }, () => r() * 2 - 1) };
};

describe('pruneLayer errors name the layer', () => {
  const weight = tensor(4, 6);
  const stats = (cols: number, gram: boolean): LinearInputStats => ({ sqNorm: new Float64Array(cols).fill(1), gram: gram ? new Float64Array(cols * cols) : null, tokens: 3 });
  it('N:M needs the input size to be a multiple of M', () => {
    const e = thrown(() => pruneLayer({ base: 'magnitude', name: 'L.q', weight, windows: 1, target: { sparsity: 0.5 }, pattern: { zeros: 2, group: 4 } }));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toMatch(/^L\.q: 2:4 sparsity needs the input size \(6\)/);
  });
  it('Wanda without statistics', () => {
    const e = thrown(() => pruneLayer({ base: 'wanda', name: 'L.k', weight, windows: 1, target: { sparsity: 0.5 }, pattern: null }));
    expect(e.code).toBe('internal');
    expect(e.message).toBe('L.k: wanda needs input statistics from the calibration runner');
  });
  it('SparseGPT without a Gram matrix, and with per-row targets', () => {
    let e = thrown(() => pruneLayer({ base: 'sparsegpt', name: 'L.v', weight, stats: stats(6, false), windows: 1, target: { sparsity: 0.5 }, pattern: null }));
    expect([e.code, e.message]).toEqual(['internal', 'L.v: SparseGPT needs the input Gram matrix']);
    e = thrown(() => pruneLayer({ base: 'sparsegpt', name: 'L.o', weight, stats: stats(6, true), windows: 1, target: { rowSparsity: [0.5, 0.5, 0.5, 0.5] }, pattern: null }));
    expect([e.code, e.message]).toEqual(['internal', 'L.o: SparseGPT takes one sparsity per layer, not per row']);
  });
  it('row sparsities must match the row count', () => {
    const e = thrown(() => pruneLayer({ base: 'magnitude', name: 'L.up', weight, windows: 1, target: { rowSparsity: [0.5, 0.5] }, pattern: null }));
    expect([e.code, e.message]).toEqual(['internal', 'L.up: 2 row sparsities for 4 rows']);
  });
  it('wandaScores: norms of the wrong width', () => {
    const e = thrown(() => wandaScores(weight, new Float64Array(5), 1));
    expect([e.code, e.message]).toEqual(['internal', 'activation norms have 5 channels, weight has 6 inputs']);
  });
});
