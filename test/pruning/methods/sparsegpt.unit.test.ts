// SparseGPT the method: its declaration, and run() on the linear-chain runner through the uniform-method
// cases (helpers/uniform-method-cases.ts: Gram statistics, reconstructed weights for every linear).
import { describe, expect, it } from 'vitest';
import { sparsegpt } from '../../../src/pruning/methods/sparsegpt';
import { describeUniformMethod } from '../helpers/uniform-method-cases';

describeUniformMethod('sparsegpt', sparsegpt, 'gram');

describe('SparseGPT method', () => {
  it('declaration', () => {
    expect(sparsegpt).toMatchObject({
      id: 'sparsegpt',
      label: 'SparseGPT',
      kind: 'sparsity',
      ratioParam: { name: 'sparsity', unit: 'fraction' },
      needsCalibration: true,
      paper: { url: 'https://arxiv.org/abs/2301.00774' },
    });
    expect(sparsegpt.paper.title).toMatch(/^SparseGPT: Massive Language Models/);
    expect(sparsegpt.summary).toMatch(/second-order/);
    expect(sparsegpt.params.map((p) => p.name)).toEqual(['sparsity', 'pattern']);
  });
});
