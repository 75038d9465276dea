// NeuroAL (methods.md §3): search a block-wise sparsity ramp (λ_block grid), then a row-wise
// redistribution (λ_row grid, not for SparseGPT) minimising dense-vs-sparse neuron misalignment on
// the first `searchWindows` calibration windows; final sequential prune on all windows. No runtime import.

import { throwIfCancelled } from '../../errors';
import type { PruningContext, PruningMethod } from '../method';
import { emptyPlan, type PruningPlan, type TraceEntry } from '../plan';
import { NEUROAL_ROW_GRID, neuroalBlockGrid, neuroalBlockSparsities } from '../row-wise/allocation';
import type { BaseMethod, LayerTarget } from '../row-wise/layer-pruners';
import type { RowRounding } from '../row-wise/masks';
import { alignmentPass, neuroalBlockEdit, rowStepTargets, type AlignmentPass } from '../row-wise/neuroal-search';
import { baseParam, resolveParams, sparsityParam } from '../row-wise/params';
import { runSequential, startPlanStats } from '../sequential';

const params = [
  sparsityParam,
  baseParam,
  { name: 'searchWindows', label: 'Search windows', type: 'integer' as const, default: 8, min: 1, max: 128, step: 1, help: 'The first N calibration windows score every λ candidate (the paper: 8 samples).' },
  { name: 'includeUniform', label: 'Try uniform (λ = 0)', type: 'boolean' as const, default: false, help: 'Adds λ_block = 0 to the block grid (not in the official code), so the result is never worse than uniform on the objective.' },
  {
    name: 'rounding',
    label: 'Row rounding',
    type: 'enum' as const,
    default: 'official',
    options: [
      { value: 'official', label: 'Official (int per row)' },
      { value: 'cumulative', label: 'Cumulative (exact layer total)' },
    ],
    help: "How per-row sparsities become zero counts: 'official' = the NeuroAL code (block step int(d_in·s) zeros per row, row step keeps int((1 − s_r)·d_in) weights, up to 1/d_in above target); 'cumulative' = rounded over the rows so each layer's total is exact.",
  },
];

export interface NeuroalOptions {
  sparsity: number;
  base: BaseMethod;
  searchWindows: number;
  includeUniform: boolean;
  /** Integer zero counts per row: the NeuroAL code's int() rules, or cumulative rounding [lab choice]. */
  rounding?: RowRounding;
}

export interface NeuroalSearch {
  blockLambda: number;
  blockObjective: number;
  /** null for SparseGPT (block step only). */
  rowLambda: number | null;
  rowObjective: number | null;
  blockSparsity: number[];
  /** Per-row sparsities by weight name (row step), or null. */
  rowSparsity: Map<string, number[]> | null;
  trace: TraceEntry[];
}

/** Block and row steps on the search windows; emits one 'neuroal-grid' trace entry per λ. */
export async function neuroalSearch(ctx: PruningContext, o: NeuroalOptions, progressTo: number): Promise<NeuroalSearch> {
  const { runner, spec } = ctx;
  const windows = ctx.windows.slice(0, Math.max(1, o.searchWindows));
  const blocks = spec.layers.length;
  const blockGrid = neuroalBlockGrid(o.sparsity, o.includeUniform);
  const rowGrid = o.base === 'sparsegpt' ? [] : NEUROAL_ROW_GRID;
  const totalPoints = blockGrid.length + rowGrid.length;
  const trace: TraceEntry[] = [];
  const embedded = await runner.embed(spec, windows);
  let done = 0;
  const evaluate = async (stage: 'block' | 'row', lambda: number, targetFor: (block: number, name: string, rows: number) => LayerTarget) => {
    throwIfCancelled(ctx.signal);
    const pass = await alignmentPass(runner, spec, embedded, windows.length, o.base, targetFor, ctx.signal);
    const entry: TraceEntry = { kind: 'neuroal-grid', stage, lambda, objective: pass.objective, chosen: false };
    trace.push(entry);
    done++;
    ctx.onProgress?.({ fraction: (progressTo * done) / totalPoints, message: `NeuroAL ${stage} step λ = ${lambda}`, trace: { ...entry } });
    return pass;
  };
  const argmin = (entries: TraceEntry[]) => {
    let best = 0;
    entries.forEach((e, i) => {
      if (e.kind === 'neuroal-grid' && e.objective < (entries[best] as { objective: number }).objective) best = i;
    });
    (entries[best] as { chosen: boolean }).chosen = true;
    return best;
  };

  const rounding = o.rounding ?? 'official';
  const blockPasses: AlignmentPass[] = [];
  for (const lambda of blockGrid) {
    const s = neuroalBlockSparsities(blocks, o.sparsity, lambda);
    // Block step: the code's compute_mask 'row' = int(d_in·s) zeros in every row (a per-layer target
    // with row comparison groups); 'cumulative' spreads d_in·s over the rows instead.
    const uniformTarget = (block: number, _name: string, rows: number): LayerTarget =>
      o.base === 'sparsegpt' || rounding === 'official' ? { sparsity: s[block] } : { rowSparsity: new Float64Array(rows).fill(s[block]), rounding };
    blockPasses.push(await evaluate('block', lambda, uniformTarget));
  }
  const bestBlock = argmin(trace);
  const blockLambda = blockGrid[bestBlock];
  const blockSparsity = neuroalBlockSparsities(blocks, o.sparsity, blockLambda);
  const result: NeuroalSearch = {
    blockLambda,
    blockObjective: blockPasses[bestBlock].objective,
    rowLambda: null,
    rowObjective: null,
    blockSparsity,
    rowSparsity: null,
    trace,
  };
  if (rowGrid.length === 0) return result;

  const alignment = blockPasses[bestBlock].alignment;
  const rowTargets: Map<string, number[]>[] = [];
  for (const lambda of rowGrid) {
    const targets = rowStepTargets(spec, blockSparsity, alignment, lambda);
    rowTargets.push(targets);
    await evaluate('row', lambda, (_block, name) => ({ rowSparsity: targets.get(name)!, rounding }));
  }
  const rowEntries = trace.slice(blockGrid.length);
  const bestRow = argmin(rowEntries);
  result.rowLambda = rowGrid[bestRow];
  result.rowObjective = (rowEntries[bestRow] as { objective: number }).objective;
  result.rowSparsity = rowTargets[bestRow];
  return result;
}

export async function planNeuroal(ctx: PruningContext, o: NeuroalOptions): Promise<PruningPlan> {
  const finish = startPlanStats(ctx.runner);
  const rounding = o.rounding ?? 'official';
  const plan = emptyPlan('neuroal', { sparsity: o.sparsity, base: o.base, searchWindows: o.searchWindows, includeUniform: o.includeUniform, rounding });
  const search = await neuroalSearch(ctx, o, 0.8);
  plan.trace.push(...search.trace);
  plan.targetBlockSparsity = search.blockSparsity;
  const targetFor = (block: number, name: string, rows: number): LayerTarget => {
    if (o.base === 'sparsegpt') return { sparsity: search.blockSparsity[block] };
    return { rowSparsity: search.rowSparsity?.get(name) ?? new Float64Array(rows).fill(search.blockSparsity[block]), rounding };
  };
  const result = await runSequential(ctx, {
    statsKind: o.base === 'sparsegpt' ? 'gram' : o.base === 'wanda' ? 'norms' : 'none',
    progressFrom: 0.8,
    pruneBlock: (block, inputs, spec) => neuroalBlockEdit(spec, block, o.base, inputs, ctx.windows.length, targetFor),
  });
  plan.masks = result.masks;
  plan.updates = result.updates;
  plan.trace.push(...result.trace);
  return finish(plan);
}

export const neuroal: PruningMethod = {
  id: 'neuroal',
  label: 'NeuroAL',
  kind: 'sparsity',
  summary: 'Searches block- and row-wise sparsity allocations that keep sparse activations aligned with dense ones.',
  paper: { title: 'Zeroth-Order Adaptive Neuron Alignment Based Pruning without Re-Training (Cunegatti et al., TMLR 2025)', url: 'https://arxiv.org/abs/2411.07066' },
  params,
  ratioParam: { name: 'sparsity', unit: 'fraction' },
  needsCalibration: true,
  run: async (ctx, values) => {
    const p = resolveParams('neuroal', params, values);
    throwIfCancelled(ctx.signal);
    return planNeuroal(ctx, { sparsity: p.sparsity as number, base: p.base as BaseMethod, searchWindows: p.searchWindows as number, includeUniform: p.includeUniform as boolean, rounding: p.rounding as RowRounding });
  },
};
