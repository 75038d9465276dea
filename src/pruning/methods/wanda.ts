// Wanda (methods.md §2.2): score |W_ij|·‖X_j‖₂, compared within each output row; every row loses
// exactly int(d_in·s) weights (or N of every M). Sequential calibration. No runtime import.

import type { PruningMethod } from '../method';
import { patternParam, resolveParams, sparsityParam } from '../row-wise/params';
import { planUniform } from '../row-wise/uniform-plan';

const params = [sparsityParam, patternParam];

export const wanda: PruningMethod = {
  id: 'wanda',
  label: 'Wanda',
  kind: 'sparsity',
  summary: 'Zeros the weights with the smallest |weight| × input activation norm in every output row.',
  paper: { title: 'A Simple and Effective Pruning Approach for Large Language Models (Sun et al., 2023)', url: 'https://arxiv.org/abs/2306.11695' },
  params,
  ratioParam: { name: 'sparsity', unit: 'fraction' },
  needsCalibration: true,
  run: async (ctx, values) => {
    const p = resolveParams('wanda', params, values);
    return planUniform('wanda', 'wanda', ctx, { sparsity: p.sparsity as number, pattern: p.pattern as string });
  },
};
