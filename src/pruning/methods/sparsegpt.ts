// SparseGPT (methods.md §2.3): OBS mask selection per 128-column block with weight reconstruction
// from the input Gram matrix (blocksize 128, percdamp 0.01). Sequential calibration. No runtime import.

import type { PruningMethod } from '../method';
import { patternParam, resolveParams, sparsityParam } from '../row-wise/params';
import { planUniform } from '../row-wise/uniform-plan';

const params = [sparsityParam, patternParam];

export const sparsegpt: PruningMethod = {
  id: 'sparsegpt',
  label: 'SparseGPT',
  kind: 'sparsity',
  summary: 'Zeros weights by second-order saliency and updates the remaining ones to reconstruct each layer output.',
  paper: { title: 'SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot (Frantar & Alistarh, 2023)', url: 'https://arxiv.org/abs/2301.00774' },
  params,
  ratioParam: { name: 'sparsity', unit: 'fraction' },
  needsCalibration: true,
  run: async (ctx, values) => {
    const p = resolveParams('sparsegpt', params, values);
    return planUniform('sparsegpt', 'sparsegpt', ctx, { sparsity: p.sparsity as number, pattern: p.pattern as string });
  },
};
