// Block movement pruning (methods.md §6; Lagunas et al. 2021, huggingface/nn_pruning), adapted to decoder
// LLMs as §6.5 says: scores over attention groups (struct) or 32 × 32 blocks (hybrid) and over FFN
// neurons, learned while the model trains on the calibration text with distillation from the frozen dense
// model (0.9 · T² · KL at T = 2 + 0.1 · CE); soft movement keeps σ(S) > τ with an L1 penalty on σ(S)
// whose λ(t) follows the cubic τ schedule, or hard movement keeps the top fraction. Scores learn
// straight-through from ∂L/∂mask (pruning/movement.ts), with Adam at their own learning rate on the host.
// Then compile: attention groups and FFN neurons fully masked are removed physically (structure.ts);
// partially masked attention blocks (hybrid) stay zero. With 'uniform' sizes every block keeps as many
// groups / neurons as the block that kept most, the extra ones zero, so config.json can describe it.

import { throwIfCancelled } from '../../errors';
import { blockLinearNames, type ModelSpec } from '../../model/model-spec';
import { stepWindows, trainingContext, type ParamSpec, type PruningMethod } from '../method';
import { groupOf, keepOf, l1Penalty, movementGroups, movementMasks, movementScheduleAt, scoreGradients, type MovementLayout, type ScoreGroup } from '../movement';
import { emptyPlan, type PruningPlan } from '../plan';
import { resolveParams } from '../row-wise/params';
import { startPlanStats } from '../sequential';
import type { StructureRemoval } from '../structure';

const params: ParamSpec[] = [
  { name: 'layout', label: 'Layout', type: 'enum', default: 'struct', options: [{ value: 'struct', label: 'struct: attention groups + FFN neurons' }, { value: 'hybrid', label: 'hybrid: 32 × 32 attention blocks + FFN neurons' }], help: 'What one score covers. A K/V head always goes with all the query heads that read it (GQA).' },
  { name: 'binarizer', label: 'Binarizer', type: 'enum', default: 'soft', options: [{ value: 'soft', label: 'soft movement: σ(S) > τ, sparsity from λ' }, { value: 'topk', label: 'hard movement: keep the top (1 − ratio)' }], help: 'Soft movement (the paper\'s best) sets sparsity through the L1 penalty λ; hard movement through the ratio.' },
  { name: 'ratio', label: 'Ratio (hard movement)', type: 'number', default: 0.5, min: 0.01, max: 0.95, step: 0.01, help: 'Share of scores removed at the end, for hard movement (top-k); soft movement ignores it.' },
  { name: 'lambda', label: 'λ final (L1 on σ(S))', type: 'number', default: 5, min: 0, max: 10000, step: 1, help: 'Final weight of the L1 penalty on σ(S); λ(t) rises with τ. Larger λ, more pruned (soft movement).' },
  { name: 'steps', label: 'Training steps', type: 'integer', default: 120, min: 4, max: 100000, step: 1, help: 'Steps of training with the masks; τ warms up over the first 10%, rises cubically, and stays final for the last 20%.' },
  { name: 'scoreLr', label: 'Score learning rate', type: 'number', default: 0.05, min: 1e-5, max: 1, step: 1e-3, help: 'Adam learning rate of the scores (nn_pruning: 1e-2 over thousands of steps; short runs need more).' },
  { name: 'lr', label: 'Weight learning rate', type: 'number', default: 3e-4, min: 0, max: 0.1, step: 1e-5, help: 'AdamW learning rate of the block weights; 0 keeps the weights frozen and learns the scores only.' },
  { name: 'distill', label: 'Distil from the dense model', type: 'boolean', default: true, help: 'Objective 0.9 · T² · KL(teacher ‖ student) at T = 2 + 0.1 · CE, as nn_pruning; off: CE only.' },
  { name: 'batch', label: 'Windows per step', type: 'integer', default: 8, min: 1, max: 1024, step: 1, help: 'Calibration windows in each training step.' },
  { name: 'sizes', label: 'Block sizes after compile', type: 'enum', default: 'uniform', options: [{ value: 'uniform', label: 'uniform: every block as large as the largest kept (exportable)' }, { value: 'per-block', label: 'per block: everything masked removed (fastest; not writable as one config.json)' }], help: 'config.json holds one head count and one FFN size for every block.' },
];

/** Adam on the scores (no decay), kept on the host: they are few. */
class ScoreAdam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  constructor(readonly scores: Float32Array[], private readonly lr: number) {
    this.m = scores.map((s) => new Float32Array(s.length));
    this.v = scores.map((s) => new Float32Array(s.length));
  }
  step(gradients: Float32Array[]): void {
    this.t += 1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const [c1, c2] = [1 - b1 ** this.t, 1 - b2 ** this.t];
    this.scores.forEach((s, g) => {
      const [m, v, grad] = [this.m[g], this.v[g], gradients[g]];
      for (let k = 0; k < s.length; k++) {
        m[k] = b1 * m[k] + (1 - b1) * grad[k];
        v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
        s[k] -= (this.lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
      }
    });
  }
}

/** At least one attention group and one FFN neuron per block stay (a block needs both to run). */
function guard(groups: ScoreGroup[], scores: Float32Array[], keeps: Uint8Array[]): void {
  groups.forEach((g, gi) => {
    if (g.unit === 'attention-group' || g.unit === 'neuron') {
      if (keeps[gi].some((x) => x === 1)) return;
      let best = 0;
      for (let k = 1; k < g.size; k++) if (scores[gi][k] > scores[gi][best]) best = k;
      keeps[gi][best] = 1;
    }
  });
}

/** Per block: attention groups whose every masked entry (q/k/v rows, o columns) is 0, and FFN neurons with keep 0. */
function fullyMasked(spec: ModelSpec, masks: Map<string, Float32Array>, groups: ScoreGroup[], keeps: Uint8Array[]): { groups: number[][]; neurons: number[][] } {
  const out = { groups: spec.layers.map(() => [] as number[]), neurons: spec.layers.map(() => [] as number[]) };
  groups.forEach((g, gi) => {
    if (g.unit === 'neuron') out.neurons[g.block] = Array.from(keeps[gi].keys()).filter((k) => !keeps[gi][k]);
  });
  spec.layers.forEach((layer, i) => {
    const [q, k, v, o] = blockLinearNames(spec, i);
    const hd = layer.headDim;
    const perGroup = layer.numHeads / layer.numKvHeads;
    const d = spec.config.hiddenSize;
    const zeroRows = (w: string, from: number, count: number) => masks.get(w)!.subarray(from * d, (from + count) * d).every((x) => x === 0);
    for (let grp = 0; grp < layer.numKvHeads; grp++) {
      const qFrom = grp * perGroup * hd;
      const oMask = masks.get(o)!;
      const oCols = oMask.length / d;
      let oZero = true;
      for (let r = 0; r < d && oZero; r++) for (let c = qFrom; c < qFrom + perGroup * hd; c++) if (oMask[r * oCols + c] !== 0) (oZero = false);
      if (oZero && zeroRows(q, qFrom, perGroup * hd) && zeroRows(k, grp * hd, hd) && zeroRows(v, grp * hd, hd)) out.groups[i].push(grp);
    }
  });
  return out;
}

/** Uniform sizes: every block removes only as many groups / neurons as the block that removed fewest, its lowest scores first. */
function uniformRemovals(removed: number[][], scoresOf: (block: number) => Float32Array | null): number[][] {
  const count = Math.min(...removed.map((r) => r.length));
  return removed.map((r, block) => {
    const s = scoresOf(block);
    return [...r].sort((a, b) => (s ? s[a] - s[b] : a - b)).slice(0, count).sort((a, b) => a - b);
  });
}

export const movement: PruningMethod = {
  id: 'movement',
  label: 'Block movement pruning (heads and FFN neurons)',
  kind: 'width',
  summary: 'Learns scores over attention groups (or 32 × 32 blocks) and FFN neurons while training with distillation, then removes what the scores masked.',
  paper: { title: 'Block Pruning For Faster Transformers', url: 'https://arxiv.org/abs/2109.04838' },
  params,
  ratioParam: { name: 'ratio', unit: 'fraction' },
  needsCalibration: true,
  needsTraining: true,
  async run(ctx, values) {
    throwIfCancelled(ctx.signal);
    const createTrainer = trainingContext(ctx, 'movement');
    const finish = startPlanStats(ctx.runner);
    const spec = ctx.spec;
    const p = resolveParams('movement', params, values);
    const [layout, binarizer, sizes] = [p.layout as MovementLayout, p.binarizer as 'soft' | 'topk', p.sizes as 'uniform' | 'per-block'];
    const [ratio, lambda, steps, scoreLr, lr] = [p.ratio, p.lambda, p.steps, p.scoreLr, p.lr] as number[];
    const batch = Math.min(p.batch as number, ctx.windows.length);
    const groups = movementGroups(spec, layout);
    const masked = [...new Set(groups.flatMap((g) => g.targets.map((t) => t.weight)))];
    const scores = groups.map((g) => new Float32Array(g.size)); // nn_pruning's mask init: constant 0 (σ = ½)
    const adam = new ScoreAdam(scores, scoreLr);
    const warmupSteps = Math.max(1, Math.floor(steps / 10));
    const schedule =
      binarizer === 'soft'
        ? { initialThreshold: 0, finalThreshold: 0.1, warmupSteps, initialWarmup: 1, finalWarmup: 2, finalLambda: lambda }
        : { initialThreshold: 1, finalThreshold: 1 - ratio, warmupSteps, initialWarmup: 1, finalWarmup: 2, finalLambda: 0 };
    const linears = new Set(spec.layers.flatMap((_, i) => blockLinearNames(spec, i)));
    const trainer = await createTrainer(spec, {
      trainable: (w) => lr > 0 && linears.has(w),
      batch,
      seqLen: ctx.windows[0].length,
      lr: lr > 0 ? lr : 1e-9,
      totalSteps: steps,
      warmupSteps,
      schedule: 'linear',
      masked,
      ...(p.distill ? { distill: { temperature: 2, alphaTeacher: 0.9, alphaCe: 0.1 } } : {}),
    });
    const plan: PruningPlan = emptyPlan('movement', { layout, binarizer, ratio, lambda, steps, scoreLr, lr, distill: p.distill as boolean, batch, sizes });
    const keepAt = (threshold: number) => {
      const keeps = scores.map((s) => keepOf(s, binarizer === 'soft' ? { kind: 'soft', threshold } : { kind: 'topk', keep: threshold }));
      guard(groups, scores, keeps);
      return keeps;
    };
    let keeps: Uint8Array[] = [];
    try {
      for (let t = 1; t <= steps; t++) {
        throwIfCancelled(ctx.signal);
        const { threshold, lambda: lambdaNow } = movementScheduleAt(t, steps, schedule);
        keeps = keepAt(threshold);
        const masks = movementMasks(groups, keeps);
        const r = await trainer.step(stepWindows(ctx.windows, batch, t - 1), { masks });
        const grads = scoreGradients(groups, r.maskGradients!);
        if (binarizer === 'soft' && lambdaNow > 0) {
          const penalty = l1Penalty(groups, scores);
          grads.forEach((g, gi) => penalty.gradients[gi].forEach((x, k) => (g[k] += lambdaNow * x)));
        }
        adam.step(grads);
        let [zeros, total] = [0, 0];
        for (const m of masks.values()) {
          total += m.length;
          for (const x of m) if (x === 0) zeros++;
        }
        const kept = (unit: 'attention-group' | 'neuron') => spec.layers.map((_, i) => {
          const gi = groupOf(groups, i, unit);
          return gi < 0 ? spec.layers[i].numKvHeads : keeps[gi].reduce((a, b) => a + b, 0);
        });
        const entry = { kind: 'movement-step' as const, step: t, loss: r.loss, distillKl: r.distillKl ?? null, threshold, lambda: lambdaNow, sparsity: zeros / total, groupsKept: kept('attention-group'), neuronsKept: kept('neuron') };
        plan.trace.push(entry);
        ctx.onProgress?.({ fraction: t / steps, message: `step ${t}/${steps}: loss ${r.loss.toFixed(4)}, τ ${threshold.toFixed(3)}, masked ${(100 * entry.sparsity).toFixed(1)}%`, trace: entry });
      }
      if (lr > 0) plan.updates = Object.fromEntries(await trainer.weights());
    } finally {
      await trainer.dispose();
    }
    // Compile with the final masks: zeros where a unit is only partly masked, removal where fully.
    const masks = movementMasks(groups, keeps);
    for (const [w, m] of masks) if (m.some((x) => x === 0)) plan.masks[w] = Uint8Array.from(m, (x) => (x === 0 ? 0 : 1));
    const gone = fullyMasked(spec, masks, groups, keeps);
    const scoreOf = (unit: 'attention-group' | 'neuron') => (block: number) => {
      const gi = groupOf(groups, block, unit);
      return gi < 0 ? null : scores[gi];
    };
    const groupsOut = sizes === 'uniform' ? uniformRemovals(gone.groups, scoreOf('attention-group')) : gone.groups;
    const neuronsOut = sizes === 'uniform' ? uniformRemovals(gone.neurons, scoreOf('neuron')) : gone.neurons;
    const structure: StructureRemoval[] = spec.layers
      .map((_, block) => ({ block, attentionGroups: groupsOut[block], neurons: neuronsOut[block] }))
      .filter((r) => r.attentionGroups.length + r.neurons.length > 0);
    plan.structure = structure.length > 0 ? structure : null;
    return finish(plan);
  },
};
