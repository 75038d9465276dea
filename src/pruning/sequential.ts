// Sequential (layer-by-layer) calibration, methods.md §1.3: embed → for each block: run it with
// input statistics on the current stream → masks → apply to a working copy → run the pruned block
// to get the next stream. Also the plan bookkeeping (progress, cancel, stats). No runtime import.

import { throwIfCancelled } from '../errors';
import { blockLinearNames, elementCount, type ModelSpec } from '../model/model-spec';
import { editWeights } from './apply-plan';
import type { CalibrationRunner, HiddenStates, LinearInputStats, StatsKind } from './calibration';
import type { PruningContext } from './method';
import type { PruningPlan, TraceEntry } from './plan';

export interface BlockEdit {
  masks: Record<string, Uint8Array>;
  updates: Record<string, Float32Array>;
}

export interface SequentialOptions {
  statsKind: StatsKind;
  /** 'pruned' = §1.3 (default); 'dense' = next stream from the dense block (comparison variant). */
  stream?: 'pruned' | 'dense';
  /** Windows to calibrate on (default: all of the context's). */
  windows?: Int32Array[];
  /** Progress range of this pass within the whole run. */
  progressFrom?: number;
  progressTo?: number;
  pruneBlock(block: number, inputs: Map<string, LinearInputStats>, spec: ModelSpec): BlockEdit;
}

export interface SequentialResult extends BlockEdit {
  /** The working copy with every block pruned. */
  spec: ModelSpec;
  trace: TraceEntry[];
}

/** Zero fraction of a block's masks over its linear weights. */
export function maskedFraction(spec: ModelSpec, block: number, masks: Record<string, Uint8Array>): number {
  let zeros = 0;
  let total = 0;
  for (const name of blockLinearNames(spec, block)) {
    const m = masks[name];
    const w = spec.weights.get(name);
    total += w ? elementCount(w) : 0;
    if (m) for (let i = 0; i < m.length; i++) if (m[i] === 0) zeros++;
  }
  return total ? zeros / total : 0;
}

export async function runSequential(ctx: PruningContext, options: SequentialOptions): Promise<SequentialResult> {
  const { runner, signal } = ctx;
  const windows = options.windows ?? ctx.windows;
  const from = options.progressFrom ?? 0;
  const to = options.progressTo ?? 1;
  const blocks = ctx.spec.layers.length;
  let work = ctx.spec;
  const result: SequentialResult = { masks: {}, updates: {}, spec: work, trace: [] };
  throwIfCancelled(signal);
  let hidden: HiddenStates = await runner.embed(work, windows);
  for (let block = 0; block < blocks; block++) {
    throwIfCancelled(signal);
    const run = await runner.runBlock(work, block, hidden, options.statsKind);
    const edit = options.pruneBlock(block, run.inputs, work);
    work = editWeights(work, edit.masks, edit.updates);
    Object.assign(result.masks, edit.masks);
    Object.assign(result.updates, edit.updates);
    if (block < blocks - 1) {
      // The last block's output feeds nothing, so it is not recomputed.
      hidden = options.stream === 'dense' ? run.output : (await runner.runBlock(work, block, hidden, 'none')).output;
    }
    const entry: TraceEntry = { kind: 'layer-pruned', block, sparsity: maskedFraction(work, block, edit.masks) };
    result.trace.push(entry);
    ctx.onProgress?.({ fraction: from + ((to - from) * (block + 1)) / blocks, message: `pruning block ${block + 1}/${blocks}`, trace: entry });
  }
  throwIfCancelled(signal);
  result.spec = work;
  return result;
}

/** Snapshot of the runner's counters; `finish` writes the deltas into plan.stats. */
export function startPlanStats(runner: CalibrationRunner | null): (plan: PruningPlan) => PruningPlan {
  const started = performance.now();
  const forwardMs = runner?.forwardMs ?? 0;
  const passes = runner?.forwardPasses ?? 0;
  const sessions = runner?.sessionsCreated ?? 0;
  return (plan) => {
    const totalMs = performance.now() - started;
    const calibrationMs = (runner?.forwardMs ?? 0) - forwardMs;
    plan.stats = {
      calibrationMs,
      methodMs: Math.max(0, totalMs - calibrationMs),
      forwardPasses: (runner?.forwardPasses ?? 0) - passes,
      sessionsCreated: (runner?.sessionsCreated ?? 0) - sessions,
    };
    return plan;
  };
}
