// DReSS (methods.md §5.4): regularize → prune. A fixed set of hidden channels is chosen first; every
// weight is trained on the calibration text with the LM loss plus λ·Σ‖slice‖ over every slice that
// reads or writes those channels, so their information moves into the kept ones; then the channels are
// deleted physically (channels.ts). Recovery fine-tuning is Lab.finetune's job. No runtime import:
// training comes from PruningContext.createTrainer.

import { throwIfCancelled } from '../../errors';
import { hiddenChannelIndices, hiddenSlices, type ChannelSelection } from '../channels';
import { stepWindows, trainingContext, type ParamSpec, type PruningMethod } from '../method';
import { emptyPlan } from '../plan';
import { resolveParams } from '../row-wise/params';
import { startPlanStats } from '../sequential';
import { channelParams } from './channels';

const params: ParamSpec[] = [
  ...channelParams,
  { name: 'lambda', label: 'λ (regularization)', type: 'number', default: 0.1, min: 0, max: 10, step: 1e-3, help: 'Weight of Σ‖slice‖ against the LM loss. The paper reports 1e-3 for 7B models trained a full epoch; short runs need more (0.1 here).' },
  {
    name: 'norm',
    label: 'Norm',
    type: 'enum',
    default: 'l2',
    options: [
      { value: 'l2', label: 'ℓ2 (unsquared, group lasso)' },
      { value: 'l2sq', label: 'ℓ2 squared' },
      { value: 'l1', label: 'ℓ1' },
    ],
    help: '‖·‖ of each slice; the paper uses ℓ2 in its main tables.',
  },
  { name: 'steps', label: 'Regularization steps', type: 'integer', default: 150, min: 1, max: 100000, step: 1, help: 'AdamW steps of LM loss + penalty over the calibration windows. Adam moves a weight by about lr per step, so slices reach 0 after ≈ |w| / lr steps.' },
  { name: 'lr', label: 'Learning rate', type: 'number', default: 5e-3, min: 1e-7, max: 0.1, step: 1e-5, help: 'Peak AdamW learning rate (warm-up 10%, cosine decay).' },
  { name: 'batch', label: 'Windows per step', type: 'integer', default: 8, min: 1, max: 1024, step: 1, help: 'Calibration windows in each training step.' },
];

export const dress: PruningMethod = {
  id: 'dress',
  label: 'DReSS (regularize, then remove channels)',
  kind: 'width',
  summary: 'Trains with a penalty on the hidden channels it will delete so their information moves into the rest, then deletes them.',
  paper: { title: 'DReSS: Data-driven Regularized Structured Streamlining for Large Language Models', url: 'https://arxiv.org/abs/2501.17905' },
  params,
  ratioParam: { name: 'ratio', unit: 'fraction' },
  needsCalibration: true,
  needsTraining: true,
  async run(ctx, values) {
    throwIfCancelled(ctx.signal);
    const createTrainer = trainingContext(ctx, 'dress');
    const finish = startPlanStats(ctx.runner);
    const spec = ctx.spec;
    const p = resolveParams('dress', params, values);
    const [ratio, lambda, steps, lr] = [p.ratio, p.lambda, p.steps, p.lr] as number[];
    const [selection, norm, compensate] = [p.selection as ChannelSelection, p.norm as 'l2' | 'l2sq' | 'l1', p.compensate as boolean];
    const batch = Math.min(p.batch as number, ctx.windows.length);
    const removed = hiddenChannelIndices(spec.config.hiddenSize, ratio, selection);
    const plan = emptyPlan('dress', { ratio, selection, compensate, lambda, norm, steps, lr, batch });
    const trainer = await createTrainer(spec, {
      trainable: () => true, // all parameters (the paper's best; regularizing them all is its ablation)
      batch,
      seqLen: ctx.windows[0].length,
      lr,
      totalSteps: steps,
      warmupSteps: Math.floor(steps / 10),
      schedule: 'cosine',
      regularizer: { slices: hiddenSlices(spec), channels: removed, lambda, norm },
    });
    try {
      for (let s = 0; s < steps; s++) {
        throwIfCancelled(ctx.signal);
        const r = await trainer.step(stepWindows(ctx.windows, batch, s));
        const entry = { kind: 'dress-step' as const, step: r.step, loss: r.loss, penalty: r.penalty ?? 0, sliceNorm: r.sliceNorm ?? 0 };
        plan.trace.push(entry);
        ctx.onProgress?.({ fraction: r.step / steps, message: `step ${r.step}/${steps}: loss ${r.loss.toFixed(4)}, Σ‖slice‖ ${entry.sliceNorm.toFixed(4)}`, trace: entry });
      }
      plan.updates = Object.fromEntries(await trainer.weights());
    } finally {
      await trainer.dispose();
    }
    plan.hiddenChannels = { removed, compensateNorm: compensate };
    return finish(plan);
  },
};
