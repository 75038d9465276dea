// A saved GPU benchmark ("Benchmark this model on my GPU", Lab.benchmarkGpu): the lab's result plus what the store
// knows (id, when, the loaded model's key, the pruned run's label), plain data kept in IndexedDB by speed-storage.ts
// and exported as JSON / CSV. Pure: must not import React, the worker or the engine.

import { LabError } from '../errors';
import type { DecodeFigure, GpuBenchResult, ModelSummary, Stat } from '../lab/lab-api';
import { toCsv, type Cell } from './runs-csv';
import { modelKeyOf } from './run-record';

/** The stored form's version: records carry it as `schemaVersion` (a newer build's are hidden, not touched). */
export const SPEED_SCHEMA_VERSION = 1;

/** GpuBenchResult with `modelName` the name the store shows (the dropped folder's), plus: */
export interface SpeedRecord extends GpuBenchResult {
  id: string;
  savedAtMs: number;
  /** modelKeyOf(the loaded model): the dense weights' hash (also for which = 'pruned'). */
  modelKey: string;
  /** The pruning run measured when which = 'pruned' (its label in the Runs table), else null. */
  prunedLabel: string | null;
}

let counter = 0;
export function newSpeedRecordId(nowMs: number): string {
  counter += 1;
  return `speed-${nowMs.toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function speedRecordOf(result: GpuBenchResult, context: { model: Pick<ModelSummary, 'weightsHash' | 'name' | 'parameters' | 'numLayers' | 'fileBytes'>; id: string; savedAtMs: number; prunedLabel: string | null }): SpeedRecord {
  return { ...structuredClone(result), id: context.id, savedAtMs: context.savedAtMs, modelName: context.model.name, modelKey: modelKeyOf(context.model), prunedLabel: result.which === 'pruned' ? context.prunedLabel : null };
}

/** "vendor architecture (description)", each part only when the browser gave it; null without an adapter or any part. */
export function adapterText(adapter: SpeedRecord['adapter']): string | null {
  if (!adapter) return null;
  const name = `${adapter.vendor} ${adapter.architecture}`.trim();
  const description = adapter.description.trim();
  if (!description || description === name) return name || null;
  return name ? `${name} (${description})` : description;
}

// ---- checks (stored records and files) ----

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStat = (v: unknown): v is Stat => isObject(v) && isNumber(v.median) && isNumber(v.min) && isNumber(v.max);
const isBound = (v: unknown) => v === null || (isObject(v) && isNumber(v.contextTokens) && isNumber(v.bytesPerToken) && isNumber(v.boundTokensPerS) && isNumber(v.fractionOfBound));
const isFigure = (v: unknown) => isObject(v) && isNumber(v.contextTokens) && isStat(v.msPerToken) && isStat(v.tokensPerS) && isBound(v.bound);
const isSweepPoint = (v: unknown) => isFigure(v) && isObject(v) && isStat(v.fillMs) && isNumber(v.chunkTokens);
const nullOr = (check: (v: unknown) => boolean) => (v: unknown) => v === null || check(v);
const isString = (v: unknown) => typeof v === 'string';

const fields: [name: string, check: (v: unknown) => boolean, what: string][] = [
  ['id', isString, 'a string'],
  ['savedAtMs', isNumber, 'a number'],
  ['modelName', isString, 'a string'],
  ['modelKey', isString, 'a string'],
  ['weightsHash', isString, 'a string'],
  ['which', (v) => v === 'loaded' || v === 'pruned', "'loaded' or 'pruned'"],
  ['prunedLabel', nullOr(isString), 'a string or null'],
  ['parameters', isNumber, 'a number'],
  ['layers', isNumber, 'a number'],
  ['maxPositionEmbeddings', isNumber, 'a number'],
  ['backend', isString, 'a string'],
  ['precision', (v) => v === 'fp32' || v === 'fp16', "'fp32' or 'fp16'"],
  ['adapter', nullOr((v) => isObject(v) && isString(v.vendor) && isString(v.architecture) && isString(v.description)), 'an adapter (vendor, architecture, description) or null'],
  ['isSoftwareAdapter', (v) => typeof v === 'boolean', 'true or false'],
  ['userAgent', nullOr(isString), 'a string or null'],
  ['weightsBytes', isNumber, 'a number'],
  ['kvBytesPerToken', isNumber, 'a number'],
  ['bandwidth', nullOr((v) => isObject(v) && isStat(v.gbPerS) && isNumber(v.bytesPerBatch) && isNumber(v.batches)), 'a bandwidth or null'],
  ['bandwidthNote', nullOr(isString), 'a string or null'],
  ['peakGpuBytes', nullOr(isNumber), 'a number or null'],
  ['promptTokens', isNumber, 'a number'],
  ['genTokens', isNumber, 'a number'],
  ['runs', isNumber, 'a number'],
  ['prefillMs', isStat, 'median/min/max numbers'],
  ['prefillTokensPerS', isStat, 'median/min/max numbers'],
  ['decode', isFigure, 'a decode figure'],
  ['sweep', (v) => Array.isArray(v) && v.every(isSweepPoint), 'a list of decode figures'],
  ['elapsedMs', isNumber, 'a number'],
];

/** One saved measurement checked field by field; a bad one → LabError 'corrupt' naming `where` and the field. Unknown fields are kept. */
export function speedRecordFromJson(value: unknown, where: string): SpeedRecord {
  if (!isObject(value)) throw new LabError('corrupt', `${where}: not a saved measurement (expected an object)`);
  for (const [name, check, what] of fields) {
    if (!check(value[name])) throw new LabError('corrupt', `${where}: ${name} must be ${what}`, { field: name });
  }
  const { schemaVersion: _version, ...record } = value;
  return structuredClone(record) as unknown as SpeedRecord;
}

// ---- export ----

/** "Export JSON": every saved measurement as stored (tagged with schemaVersion), oldest first. */
export function speedRecordsToJson(records: readonly SpeedRecord[]): string {
  return `${JSON.stringify(records.map((r) => ({ ...r, schemaVersion: SPEED_SCHEMA_VERSION })), null, 2)}\n`;
}

interface CsvRow {
  r: SpeedRecord;
  f: DecodeFigure;
  /** 'prompt': decode after the prompt; 'sweep': a point of decode against context. */
  point: 'prompt' | 'sweep';
}

const csvColumns: [string, (row: CsvRow) => Cell][] = [
  ['id', ({ r }) => r.id],
  ['saved_at', ({ r }) => new Date(r.savedAtMs).toISOString()],
  ['model_name', ({ r }) => r.modelName],
  ['model_key', ({ r }) => r.modelKey],
  ['which', ({ r }) => r.which],
  ['pruned_label', ({ r }) => r.prunedLabel],
  ['backend', ({ r }) => r.backend],
  ['precision', ({ r }) => r.precision],
  ['adapter', ({ r }) => adapterText(r.adapter)],
  ['software_adapter', ({ r }) => r.isSoftwareAdapter],
  ['bandwidth_gb_per_s', ({ r }) => r.bandwidth?.gbPerS.median ?? null],
  ['figure', ({ point }) => point],
  ['context_tokens', ({ f }) => f.contextTokens],
  ['gen_tokens', ({ r }) => r.genTokens],
  ['runs', ({ r }) => r.runs],
  ['decode_ms_per_token', ({ f }) => f.msPerToken.median],
  ['decode_ms_per_token_min', ({ f }) => f.msPerToken.min],
  ['decode_ms_per_token_max', ({ f }) => f.msPerToken.max],
  ['decode_tokens_per_s', ({ f }) => f.tokensPerS.median],
  ['bytes_per_token', ({ f }) => f.bound?.bytesPerToken ?? null],
  ['bound_tokens_per_s', ({ f }) => f.bound?.boundTokensPerS ?? null],
  ['fraction_of_bound', ({ f }) => f.bound?.fractionOfBound ?? null],
  ['prefill_tokens', ({ r }) => r.promptTokens],
  ['prefill_ms', ({ r }) => r.prefillMs.median],
  ['peak_gpu_bytes', ({ r }) => r.peakGpuBytes],
  ['user_agent', ({ r }) => r.userAgent],
];

/** One row per decode figure (the one after the prompt, then each sweep point), RFC 4180 with CRLF as runs-csv. */
export function speedRecordsToCsv(records: readonly SpeedRecord[]): string {
  const rows = records.flatMap((r): CsvRow[] => [{ r, f: r.decode, point: 'prompt' }, ...r.sweep.map((f): CsvRow => ({ r, f, point: 'sweep' }))]);
  return toCsv(csvColumns, rows);
}
