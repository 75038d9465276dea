// Uniform (same sparsity or N:M pattern in every layer) plans for the three base scorers; the
// method files magnitude/wanda/sparsegpt are thin declarations over this. No runtime import.

import { throwIfCancelled } from '../../errors';
import { blockLinearNames, getWeight, type ModelSpec } from '../../model/model-spec';
import type { LinearInputStats } from '../calibration';
import type { PruningContext } from '../method';
import { emptyPlan, type PruningPlan } from '../plan';
import { maskedFraction, runSequential, startPlanStats, type BlockEdit } from '../sequential';
import { pruneLayer, type BaseMethod } from './layer-pruners';
import { parsePattern, type NMPattern } from './masks';

export interface UniformOptions {
  sparsity: number;
  pattern: string;
  /** Comparison-variant switch for tests: 'dense' propagates unpruned outputs (not §1.3). */
  stream?: 'pruned' | 'dense';
}

/** Prunes every linear of `block` with `base` at per-block sparsity; used by uniform and OWL plans. */
export function pruneBlockWith(
  base: BaseMethod,
  spec: ModelSpec,
  block: number,
  inputs: Map<string, LinearInputStats> | null,
  windows: number,
  sparsity: number,
  pattern: NMPattern | null,
): BlockEdit {
  const edit: BlockEdit = { masks: {}, updates: {} };
  for (const name of blockLinearNames(spec, block)) {
    const r = pruneLayer({ base, name, weight: getWeight(spec, name), stats: inputs?.get(name), windows, target: { sparsity }, pattern });
    edit.masks[name] = r.mask;
    if (r.update) edit.updates[name] = r.update;
  }
  return edit;
}

export async function planUniform(methodId: string, base: BaseMethod, ctx: PruningContext, options: UniformOptions): Promise<PruningPlan> {
  const finish = startPlanStats(base === 'magnitude' ? null : ctx.runner);
  const pattern = parsePattern(options.pattern);
  const sparsity = pattern ? pattern.zeros / pattern.group : options.sparsity;
  const plan = emptyPlan(methodId, { sparsity: options.sparsity, pattern: options.pattern });
  const blocks = ctx.spec.layers.length;
  plan.targetBlockSparsity = Array.from({ length: blocks }, () => sparsity);
  if (base === 'magnitude') {
    // Data-free: no calibration pass, every matrix on its own.
    for (let block = 0; block < blocks; block++) {
      throwIfCancelled(ctx.signal);
      const edit = pruneBlockWith('magnitude', ctx.spec, block, null, 0, sparsity, pattern);
      Object.assign(plan.masks, edit.masks);
      const entry = { kind: 'layer-pruned' as const, block, sparsity: maskedFraction(ctx.spec, block, edit.masks) };
      plan.trace.push(entry);
      ctx.onProgress?.({ fraction: (block + 1) / blocks, message: `pruning block ${block + 1}/${blocks}`, trace: entry });
    }
    return finish(plan);
  }
  const result = await runSequential(ctx, {
    statsKind: base === 'sparsegpt' ? 'gram' : 'norms',
    stream: options.stream,
    pruneBlock: (block, inputs, spec) => pruneBlockWith(base, spec, block, inputs, ctx.windows.length, sparsity, pattern),
  });
  plan.masks = result.masks;
  plan.updates = result.updates;
  plan.trace = result.trace;
  return finish(plan);
}
