// The law experiment's figures as the Laws panel shows and exports them: the chart's aligned data
// (measured points per recovery budget, and the fitted law's curve per budget) and the points as CSV.
// Pure: no React, no store.

import type uPlot from 'uplot';
import { predictLaw } from '../../evaluation/compression-law';
import type { LawPointResult, LawResult } from '../../lab/lab-api';
import { toCsv, type Cell } from '../../store/runs-csv';

/** The recovery budgets of the points, in order. */
export function lawBudgets(points: LawPointResult[]): number[] {
  return [...new Set(points.map((p) => p.rftTokens))].sort((a, b) => a - b);
}

/**
 * x: the measured compressions and a grid of 41 from 0 to the largest (so the curves are smooth);
 * per budget a measured series (null off its points) and, with a fit, the no-intercept law's curve.
 */
export function lawChartData(points: LawPointResult[], result: Pick<LawResult, 'loss' | 'dense'> | null): uPlot.AlignedData {
  const budgets = lawBudgets(points);
  const top = Math.max(0, ...points.map((p) => p.compression));
  const fit = result?.loss?.noIntercept ?? null;
  const grid = fit ? Array.from({ length: 41 }, (_, i) => (top * i) / 40) : [];
  const xs = [...new Set([...points.map((p) => p.compression), ...grid])].sort((a, b) => a - b);
  const measured = budgets.map((d) => xs.map((x) => points.find((p) => p.rftTokens === d && p.compression === x)?.loss ?? null));
  const curves = fit && result ? budgets.map((d) => xs.map((x) => predictLaw(fit, { base: result.dense.loss, ratio: x, rftTokens: d }))) : [];
  return [xs, ...measured, ...curves];
}

const columns: [string, (p: LawPointResult) => Cell][] = [
  ['ratio', (p) => p.ratio],
  ['compression', (p) => p.compression],
  ['rft_tokens', (p) => p.rftTokens],
  ['recovery_steps', (p) => p.recoverySteps],
  ['loss', (p) => p.loss],
  ['ppl', (p) => p.ppl],
  ['acc', (p) => p.accuracy?.acc ?? null],
  ['acc_norm', (p) => p.accuracy?.accNorm ?? null],
  ['acc_items', (p) => p.accuracy?.items ?? null],
  ['parameters_after', (p) => p.parametersAfter],
  ['removed_blocks', (p) => p.removedBlocks.join(' ')],
  ['decode_tokens_per_s_dense', (p) => p.decodeTokensPerSDense],
  ['decode_tokens_per_s', (p) => p.decodeTokensPerS],
  ['decode_speedup', (p) => (p.decodeTokensPerS !== null && p.decodeTokensPerSDense ? p.decodeTokensPerS / p.decodeTokensPerSDense : null)],
  ['prefill_ms_dense', (p) => p.prefillMsDense],
  ['prefill_ms', (p) => p.prefillMs],
  ['elapsed_ms', (p) => p.elapsedMs],
];

/** The points as CSV (RFC 4180, CRLF), one row per point. */
export function lawPointsCsv(points: LawPointResult[]): string {
  return toCsv(columns, points);
}
