// Direct hidden-channel removal (methods.md §5.4): delete the chosen ⌈r·d⌉ residual-stream channels
// from every weight that reads or writes them, with no regularization first: the baseline DReSS is
// measured against. Data-free. No runtime import.

import { throwIfCancelled } from '../../errors';
import { CHANNEL_SELECTIONS, hiddenChannelIndices, type ChannelSelection } from '../channels';
import type { ParamSpec, PruningMethod } from '../method';
import { emptyPlan } from '../plan';
import { resolveParams } from '../row-wise/params';
import { startPlanStats } from '../sequential';

export const channelParams: ParamSpec[] = [
  { name: 'ratio', label: 'Hidden channels removed', type: 'number', default: 0.25, min: 0.01, max: 0.9, step: 0.01, help: 'Fraction of the hidden size d to delete (0..1); ⌈ratio·d⌉ channels.' },
  {
    name: 'selection',
    label: 'Which channels',
    type: 'enum',
    default: 'last',
    options: CHANNEL_SELECTIONS.map((value) => ({ value, label: { last: 'the last ones', first: 'the first ones', uniform: 'uniformly spread' }[value] })),
    help: 'DReSS fixes the set before training; the paper finds last / first / uniform about equal.',
  },
  { name: 'compensate', label: 'RMSNorm compensation', type: 'boolean', default: true, help: 'Multiply kept RMSNorm weights by √(d/d′) so the norm of near-zero removed channels is not lost (Llama family).' },
];

export const channels: PruningMethod = {
  id: 'channels',
  label: 'Remove hidden channels (direct)',
  kind: 'width',
  summary: 'Deletes a fixed set of hidden channels from every layer at once, with no training: the baseline for DReSS.',
  paper: { title: 'DReSS: data-driven regularized structured streamlining (the direct-removal baseline)', url: 'https://arxiv.org/abs/2501.17905' },
  params: channelParams,
  ratioParam: { name: 'ratio', unit: 'fraction' },
  needsCalibration: false,
  async run(ctx, values) {
    throwIfCancelled(ctx.signal);
    const finish = startPlanStats(ctx.runner);
    const p = resolveParams('channels', channelParams, values);
    const [ratio, selection, compensate] = [p.ratio as number, p.selection as ChannelSelection, p.compensate as boolean];
    const removed = hiddenChannelIndices(ctx.spec.config.hiddenSize, ratio, selection);
    const plan = emptyPlan('channels', { ratio, selection, compensate });
    plan.hiddenChannels = { removed, compensateNorm: compensate };
    return finish(plan);
  },
};
