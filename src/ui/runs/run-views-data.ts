// Pure data shaping for the Runs views: uPlot aligned data (speed bars, quality–speed frontier), the
// sparsity heat map's rows / columns / colours, size in MB, realised sparsity / target ratio as text. Must not import React, uPlot at runtime, or the store's actions.

import type uPlot from 'uplot';
import { realisedSparsity, targetRatio, type RunRecord } from '../../store/run-record';

/** A run and its number in the table (1-based, the order the table shows). */
export interface NumberedRun {
  run: RunRecord;
  number: number;
}

export const numbered = (runs: RunRecord[]): NumberedRun[] => runs.map((run, i) => ({ run, number: i + 1 }));

export const methodColors = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#6b7280'];

/** fp32 size of the pruned model's weights in bytes: the stored field, else parametersAfter × 4 (older records). */
export function fp32BytesAfter(run: RunRecord): number {
  return run.fp32BytesAfter ?? run.parametersAfter * 4;
}

/** A 0..1 sparsity as a percentage with one decimal ("69.0%"); null (not measured / old record) → "—". */
export function percentText(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A run's realised sparsity as the views show it ("69.0%", or "—" when the record lacks it). */
export const realisedText = (run: RunRecord): string => percentText(realisedSparsity(run));

/** A run's requested ratio as the views show it: 3 decimals (as the Runs table's ratio), or "—". */
export const targetText = (run: RunRecord): string => {
  const target = targetRatio(run);
  return target === null ? '—' : target.toFixed(3);
};

/** A heat-map row's label: "#2 Wanda · 69.0%" (number, method, realised sparsity). */
export const heatRowLabel = (row: { number: number; run: RunRecord }): string => `#${row.number} ${row.run.methodLabel} · ${realisedText(row.run)}`;

export const hasSpeed = (run: RunRecord): boolean =>
  run.decodeTokensPerSDense !== null || run.decodeTokensPerSPruned !== null || run.prefillMsDense !== null || run.prefillMsPruned !== null;

/**
 * Speed bars: x = run number (runs with speed only); series 1 = dense, 2 = pruned, for one measure.
 * Missing measures are null (uPlot leaves a gap).
 */
export function speedData(runs: NumberedRun[], measure: 'decode' | 'prefill'): uPlot.AlignedData {
  const measured = runs.filter(({ run }) => hasSpeed(run));
  const dense = measured.map(({ run }) => (measure === 'decode' ? run.decodeTokensPerSDense : run.prefillMsDense));
  const pruned = measured.map(({ run }) => (measure === 'decode' ? run.decodeTokensPerSPruned : run.prefillMsPruned));
  return [measured.map((r) => r.number), dense, pruned];
}

export interface FrontierSeries {
  methodId: string;
  label: string;
}

/** A run on the frontier: evaluated (ppl after) and timed (decode tok/s pruned). */
const onFrontier = (run: RunRecord) => run.pplAfter !== null && run.decodeTokensPerSPruned !== null;
/** A dense point: the same run's dense ppl and dense tok/s. */
const hasDensePoint = (run: RunRecord) => run.pplBefore !== null && run.decodeTokensPerSDense !== null;

/** Methods with a frontier point, first-seen order. */
export function frontierSeries(runs: RunRecord[]): FrontierSeries[] {
  const seen = new Map<string, string>();
  for (const run of runs) if (onFrontier(run) && !seen.has(run.methodId)) seen.set(run.methodId, run.methodLabel);
  return [...seen].map(([methodId, label]) => ({ methodId, label }));
}

/**
 * Scatter as aligned data: every point gets its own x (decode tok/s, sorted ascending); series 1 = dense
 * (each timed run's dense point), then one series per method (ppl after), null where a point is another's.
 */
export function frontierData(runs: RunRecord[], series: FrontierSeries[]): uPlot.AlignedData {
  type Point = { x: number; y: number; series: number };
  const points: Point[] = [];
  for (const run of runs) {
    if (hasDensePoint(run)) points.push({ x: run.decodeTokensPerSDense!, y: run.pplBefore!, series: 0 });
    const index = series.findIndex((s) => s.methodId === run.methodId);
    if (onFrontier(run) && index >= 0) points.push({ x: run.decodeTokensPerSPruned!, y: run.pplAfter!, series: index + 1 });
  }
  points.sort((a, b) => a.x - b.x);
  const ys = Array.from({ length: series.length + 1 }, (_, s) => points.map((p) => (p.series === s ? p.y : null)));
  return [points.map((p) => p.x), ...ys];
}

export const frontierPointCount = (runs: RunRecord[]) => runs.filter(onFrontier).length;
export const densePointCount = (runs: RunRecord[]) => runs.filter(hasDensePoint).length;

// ---- heat map ----

/** Original block index → index in the pruned model (null when removed); as BlockDiagram's keptIndex, without React. */
export function keptIndex(layersBefore: number, removedBlocks: number[]): (number | null)[] {
  let next = 0;
  return Array.from({ length: layersBefore }, (_, block) => (removedBlocks.includes(block) ? null : next++));
}

export interface HeatColumn {
  /** Block in the ORIGINAL model's numbering. */
  block: number;
  /** Linear weight within the block ('q_proj' → 'q'), or 'block' when only per-block sparsity is known. */
  linear: string;
}

export interface HeatCell {
  /** 0..1, or null when the block was removed. */
  sparsity: number | null;
  /** 'layer' = measured per linear; 'block' = the block's average (older records); 'removed'. */
  source: 'layer' | 'block' | 'removed';
}

export interface HeatRow {
  number: number;
  run: RunRecord;
  cells: HeatCell[];
}

/** 'model.layers.3.self_attn.q_proj.weight' → 'q'; 'transformer.h.0.mlp.c_fc.weight' → 'mlp.c_fc'. */
export function linearName(weightName: string): string {
  const inBlock = weightName.replace(/^.*?\.(layers|h)\.\d+\./, '').replace(/\.weight$/, '');
  const last = inBlock.split('.').pop() ?? inBlock;
  return /_proj$/.test(last) && !last.startsWith('c_') ? last.replace(/_proj$/, '') : inBlock;
}

/** Columns: every original block × every linear seen in any run (first-seen order); 1 column per block if none has layers. */
export function heatColumns(runs: RunRecord[]): HeatColumn[] {
  const blocks = Math.max(0, ...runs.map((r) => r.layersBefore));
  const linears: string[] = [];
  for (const run of runs) for (const l of run.layerSparsity ?? []) if (!linears.includes(linearName(l.name))) linears.push(linearName(l.name));
  const perBlock = linears.length > 0 ? linears : ['block'];
  return Array.from({ length: blocks }, (_, block) => perBlock.map((linear) => ({ block, linear }))).flat();
}

export function heatRows(runs: NumberedRun[], columns: HeatColumn[]): HeatRow[] {
  return runs.map(({ run, number }) => {
    const kept = keptIndex(run.layersBefore, run.removedBlocks);
    const cells = columns.map(({ block, linear }): HeatCell => {
      const pruned = kept[block];
      if (pruned === null || pruned === undefined) return { sparsity: null, source: 'removed' };
      const layer = run.layerSparsity?.find((l) => l.block === pruned && linearName(l.name) === linear);
      if (layer) return { sparsity: layer.sparsity, source: 'layer' };
      return { sparsity: run.blockSparsity[pruned] ?? 0, source: 'block' };
    });
    return { number, run, cells };
  });
}

/** White (0) → deep blue (1), linear in sRGB; clamps. Text should be white above 0.55. */
export function heatColor(sparsity: number): string {
  const t = Math.min(1, Math.max(0, sparsity));
  const channel = (from: number, to: number) => Math.round(from + (to - from) * t);
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `#${hex(channel(255, 30))}${hex(channel(255, 64))}${hex(channel(255, 175))}`;
}

export const heatTextColor = (sparsity: number): string => (sparsity > 0.55 ? '#ffffff' : '#111827');
export const removedColor = '#d1d5db';
