// ShortGPT (methods.md §4.2): Block Influence BI_i = 1 − mean cos(h_in, h_out) on the residual stream
// before the final norm, one pass over the calibration windows; the k smallest are removed at once.
// No runtime import.

import { LabError, throwIfCancelled } from '../../errors';
import type { PruningMethod } from '../method';
import { emptyPlan } from '../plan';
import { resolveParams } from '../row-wise/params';
import { startPlanStats } from '../sequential';
import { blockCountParam } from './sleb';

const params = [blockCountParam];

/** Indices of the k smallest scores; ties go to the lower index (stable). */
export function smallestK(scores: number[], k: number): number[] {
  return scores
    .map((score, block) => ({ score, block }))
    .sort((a, b) => a.score - b.score || a.block - b.block)
    .slice(0, k)
    .map((e) => e.block);
}

export const shortgpt: PruningMethod = {
  id: 'shortgpt',
  label: 'ShortGPT',
  kind: 'blocks',
  summary: 'Removes the blocks that change their input least (lowest Block Influence), in one shot.',
  paper: { title: 'ShortGPT: Layers in Large Language Models are More Redundant Than You Expect (Men et al., 2024)', url: 'https://arxiv.org/abs/2403.03853' },
  params,
  ratioParam: { name: 'blocks', unit: 'blocks' },
  needsCalibration: true,
  async run(ctx, values) {
    const p = resolveParams('shortgpt', params, values);
    const count = p.blocks as number;
    const L = ctx.spec.layers.length;
    if (count >= L) throw new LabError('bad-argument', `shortgpt: cannot remove ${count} of ${L} blocks; at most ${L - 1}`);
    throwIfCancelled(ctx.signal);
    const finish = startPlanStats(ctx.runner);
    const plan = emptyPlan('shortgpt', { blocks: count });
    ctx.onProgress?.({ fraction: 0, message: 'ShortGPT: measuring Block Influence' });
    const influence = await ctx.runner.blockInfluence(ctx.spec, ctx.windows);
    throwIfCancelled(ctx.signal);
    const entry = { kind: 'block-influence' as const, scores: influence.map((value, block) => ({ block, influence: value })) };
    plan.trace.push(entry);
    plan.removeBlocks = smallestK(influence, count).sort((a, b) => a - b);
    ctx.onProgress?.({ fraction: 1, message: `ShortGPT: removing blocks ${plan.removeBlocks.join(', ')}`, trace: structuredClone(entry) });
    return finish(plan);
  },
};
