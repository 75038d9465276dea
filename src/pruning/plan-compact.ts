// A pruning plan in the form it is stored (lab/plan-storage): masks packed to one bit per weight,
// weight updates as they are (exact float32: re-applying the plan must give the same bytes), and no
// trace or timing (the run's record keeps those). Pure.

import type { PruningPlan } from './plan';

export interface PackedMask {
  /** Weights the mask covers. */
  length: number;
  /** Bit i (LSB first) of byte i >> 3 is 1 = keep, 0 = zero. */
  bits: Uint8Array;
}

export interface CompactPlan {
  methodId: string;
  params: PruningPlan['params'];
  removeBlocks: number[];
  masks: Record<string, PackedMask>;
  updates: Record<string, Float32Array>;
  hiddenChannels: PruningPlan['hiddenChannels'];
  structure: PruningPlan['structure'];
  targetBlockSparsity: number[] | null;
}

export function packMask(mask: Uint8Array): PackedMask {
  const bits = new Uint8Array(Math.ceil(mask.length / 8));
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) bits[i >> 3] |= 1 << (i & 7);
  return { length: mask.length, bits };
}

export function unpackMask(packed: PackedMask): Uint8Array {
  const mask = new Uint8Array(packed.length);
  for (let i = 0; i < packed.length; i++) mask[i] = (packed.bits[i >> 3] >> (i & 7)) & 1;
  return mask;
}

export function compactPlan(plan: PruningPlan): CompactPlan {
  return {
    methodId: plan.methodId,
    params: plan.params,
    removeBlocks: [...plan.removeBlocks],
    masks: Object.fromEntries(Object.entries(plan.masks).map(([name, mask]) => [name, packMask(mask)])),
    updates: plan.updates,
    hiddenChannels: plan.hiddenChannels ?? null,
    structure: plan.structure ?? null,
    targetBlockSparsity: plan.targetBlockSparsity,
  };
}

/** The plan again, ready for applyPlan (trace empty, stats zero: they belong to the run's record). */
export function expandPlan(compact: CompactPlan): PruningPlan {
  return {
    methodId: compact.methodId,
    params: compact.params,
    removeBlocks: [...compact.removeBlocks],
    masks: Object.fromEntries(Object.entries(compact.masks).map(([name, packed]) => [name, unpackMask(packed)])),
    updates: compact.updates,
    hiddenChannels: compact.hiddenChannels,
    structure: compact.structure,
    targetBlockSparsity: compact.targetBlockSparsity,
    trace: [],
    stats: { calibrationMs: 0, methodMs: 0, forwardPasses: 0, sessionsCreated: 0 },
  };
}

/** Bytes the plan takes once compacted (packed masks and float32 updates), known without packing it. */
export function compactPlanBytes(plan: PruningPlan): number {
  let bytes = 0;
  for (const mask of Object.values(plan.masks)) bytes += Math.ceil(mask.length / 8);
  for (const update of Object.values(plan.updates)) bytes += update.byteLength;
  return bytes;
}
