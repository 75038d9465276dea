// A pruning method's output: what to remove or zero, with the evidence (scores, trace). Plain data,
// so plans cross the worker boundary and can be kept, compared and re-applied. `applyPlan`
// (apply-plan.ts) is the one function that turns a plan into a new ModelSpec.

import type { StructureRemoval } from './structure';

/** One step of a search method, kept for the trace chart and the CLI's `trace`. */
export type TraceEntry =
  | {
      kind: 'sleb-step';
      step: number;
      /** Every candidate evaluated at this step, indices in the ORIGINAL model's numbering. */
      candidates: { block: number; nll: number; ppl: number }[];
      chosen: number;
    }
  | { kind: 'block-influence'; scores: { block: number; influence: number }[] }
  | { kind: 'neuroal-grid'; stage: 'block' | 'row'; lambda: number; objective: number; chosen: boolean }
  | { kind: 'owl-outliers'; blocks: { block: number; outlierRatio: number; sparsity: number }[] }
  | { kind: 'layer-pruned'; block: number; sparsity: number }
  /** A regularization step of DReSS: LM loss and the norm of the regularized slices (Σ‖R·W‖). */
  | { kind: 'dress-step'; step: number; loss: number; penalty: number; sliceNorm: number }
  /**
   * A block movement pruning step: the objective's CE part, the threshold τ and λ(t), the share of masked
   * entries in the scored weights, and per block the attention groups and FFN neurons still kept.
   */
  | { kind: 'movement-step'; step: number; loss: number; distillKl: number | null; threshold: number; lambda: number; sparsity: number; groupsKept: number[]; neuronsKept: number[] };

export interface PlanStats {
  /** Wall time of calibration forward passes (embedding, blocks, gated NLL), ms. */
  calibrationMs: number;
  /** Wall time of the method's own work (scores, masks, OBS updates, search bookkeeping), ms. */
  methodMs: number;
  /** Forward passes over the calibration set (a full-model pass counts 1; a block pass 1/L). */
  forwardPasses: number;
  /** onnxruntime sessions created while planning. */
  sessionsCreated: number;
}

export interface PruningPlan {
  methodId: string;
  params: Record<string, number | string | boolean>;
  /** Blocks to delete physically, 0-based indices of the spec the plan was made on, ascending. */
  removeBlocks: number[];
  /** Weights to zero: weight name → mask with 1 = keep, 0 = zero (same length as the weight). */
  masks: Record<string, Uint8Array>;
  /** Weights whose values change (SparseGPT's OBS update), already masked. */
  updates: Record<string, Float32Array>;
  /**
   * Hidden channels to delete physically after the updates (DReSS, direct channel removal), indices of
   * the spec's hidden dimension; `compensateNorm` rescales RMSNorm weights by √(d/d′) (channels.ts).
   */
  hiddenChannels?: { removed: number[]; compensateNorm: boolean } | null;
  /**
   * Attention groups (a K/V head with its query heads) and FFN neurons to delete physically inside
   * blocks (structure.ts), block indices of the spec the plan was made on; applied before removeBlocks.
   */
  structure?: StructureRemoval[] | null;
  /** Per-block sparsity the method aimed for (uniform, OWL, NeuroAL), before rounding. */
  targetBlockSparsity: number[] | null;
  trace: TraceEntry[];
  stats: PlanStats;
}

export function emptyPlan(methodId: string, params: PruningPlan['params']): PruningPlan {
  return {
    methodId,
    params,
    removeBlocks: [],
    masks: {},
    updates: {},
    targetBlockSparsity: null,
    trace: [],
    stats: { calibrationMs: 0, methodMs: 0, forwardPasses: 0, sessionsCreated: 0 },
  };
}
