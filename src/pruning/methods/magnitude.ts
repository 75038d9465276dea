// Magnitude pruning (methods.md §2.1): |W| compared over each whole matrix, zero every score ≤ the
// value at index int(numel·s); N:M per row groups. Data-free. No runtime import.

import type { PruningMethod } from '../method';
import { patternParam, resolveParams, sparsityParam } from '../row-wise/params';
import { planUniform } from '../row-wise/uniform-plan';

const params = [sparsityParam, patternParam];

export const magnitude: PruningMethod = {
  id: 'magnitude',
  label: 'Magnitude',
  kind: 'sparsity',
  summary: 'Zeros the smallest |W| of every block linear matrix; no data needed.',
  paper: { title: 'Wanda repository baseline (prune_magnitude); Han et al. 2015, Learning both Weights and Connections', url: 'https://arxiv.org/abs/1506.02626' },
  params,
  ratioParam: { name: 'sparsity', unit: 'fraction' },
  needsCalibration: false,
  run: async (ctx, values) => {
    const p = resolveParams('magnitude', params, values);
    return planUniform('magnitude', 'magnitude', ctx, { sparsity: p.sparsity as number, pattern: p.pattern as string });
  },
};
