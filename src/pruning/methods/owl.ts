// OWL (methods.md §2.5): a dense pass measures each block's outlier ratio of Wanda scores
// (#{A > M·mean A}), which sets per-block sparsities (more outliers → lower sparsity, mean s, span 2λ,
// within s ± 2λ); then the base method prunes sequentially at those sparsities. No runtime import.

import { throwIfCancelled } from '../../errors';
import { blockLinearNames, getWeight } from '../../model/model-spec';
import type { PruningContext, PruningMethod } from '../method';
import { emptyPlan, type PruningPlan } from '../plan';
import { outlierRatio, owlBlockSparsities } from '../row-wise/allocation';
import { wandaScores, type BaseMethod } from '../row-wise/layer-pruners';
import { baseParam, resolveParams, sparsityParam } from '../row-wise/params';
import { pruneBlockWith } from '../row-wise/uniform-plan';
import { runSequential, startPlanStats } from '../sequential';

const params = [
  sparsityParam,
  baseParam,
  { name: 'M', label: 'Outlier threshold M', type: 'number' as const, default: 5, min: 1, max: 100, step: 0.5, help: 'A score counts as an outlier when it exceeds M times the mean score of its block.' },
  { name: 'lambda', label: 'Range λ', type: 'number' as const, default: 0.08, min: 0, max: 0.5, step: 0.01, help: 'Block sparsities span 2λ around the target s (fraction 0..1): within [s − λ, s + λ] when outlier ratios are spread evenly, up to s ± 2λ when they are skewed (one block far from the rest), as in the official code.' },
];

/** Outlier ratio (%) per block on the DENSE model: each block's stats come from dense outputs below it. */
export async function owlOutlierRatios(ctx: PruningContext, m: number, progressTo: number): Promise<number[]> {
  const { runner, spec, windows } = ctx;
  const blocks = spec.layers.length;
  let hidden = await runner.embed(spec, windows);
  const ratios: number[] = [];
  for (let block = 0; block < blocks; block++) {
    throwIfCancelled(ctx.signal);
    const run = await runner.runBlock(spec, block, hidden, 'norms');
    const scores = blockLinearNames(spec, block).map((name) => {
      const stats = run.inputs.get(name);
      if (!stats) throw new Error(`calibration runner returned no statistics for ${name}`);
      return wandaScores(getWeight(spec, name), stats.sqNorm, windows.length);
    });
    ratios.push(outlierRatio(scores, m));
    hidden = run.output;
    ctx.onProgress?.({ fraction: (progressTo * (block + 1)) / blocks, message: `measuring outliers, block ${block + 1}/${blocks}` });
  }
  return ratios;
}

export async function planOwl(ctx: PruningContext, p: { sparsity: number; base: BaseMethod; M: number; lambda: number }): Promise<PruningPlan> {
  const finish = startPlanStats(ctx.runner);
  const plan = emptyPlan('owl', { sparsity: p.sparsity, base: p.base, M: p.M, lambda: p.lambda });
  const ratios = await owlOutlierRatios(ctx, p.M, 0.3);
  const blockSparsity = owlBlockSparsities(ratios, p.sparsity, p.lambda);
  plan.targetBlockSparsity = blockSparsity;
  const outliers = { kind: 'owl-outliers' as const, blocks: ratios.map((outlierRatio, block) => ({ block, outlierRatio, sparsity: blockSparsity[block] })) };
  plan.trace.push(outliers);
  ctx.onProgress?.({ fraction: 0.3, message: 'block sparsities allocated', trace: outliers });
  const result = await runSequential(ctx, {
    statsKind: p.base === 'sparsegpt' ? 'gram' : p.base === 'wanda' ? 'norms' : 'none',
    progressFrom: 0.3,
    pruneBlock: (block, inputs, spec) => pruneBlockWith(p.base, spec, block, inputs, ctx.windows.length, blockSparsity[block], null),
  });
  plan.masks = result.masks;
  plan.updates = result.updates;
  plan.trace.push(...result.trace);
  return finish(plan);
}

export const owl: PruningMethod = {
  id: 'owl',
  label: 'OWL',
  kind: 'sparsity',
  summary: 'Gives blocks with more activation outliers a lower sparsity, then prunes with the base method.',
  paper: { title: 'Outlier Weighed Layerwise Sparsity (OWL) (Yin et al., 2024)', url: 'https://arxiv.org/abs/2310.05175' },
  params,
  ratioParam: { name: 'sparsity', unit: 'fraction' },
  needsCalibration: true,
  run: async (ctx, values) => {
    const p = resolveParams('owl', params, values);
    return planOwl(ctx, { sparsity: p.sparsity as number, base: p.base as BaseMethod, M: p.M as number, lambda: p.lambda as number });
  },
};
