// Runs as CSV (RFC 4180: header row, one row per run, CRLF, fields with , " CR LF quoted, quotes doubled)
// and as JSON (the RunRecords as stored, plus the derived target ratio and realised sparsity). Pure: must not import React, the worker or the engine.

import { paramsText, pplDelta, realisedSparsity, runRatio, targetRatio, type RunRecord } from './run-record';

export type Cell = string | number | boolean | null;

/** One CSV field: quoted only when it holds a comma, a quote, CR or LF; null → empty. */
export function csvField(value: Cell): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const columns: [string, (run: RunRecord) => Cell][] = [
  ['id', (r) => r.id],
  ['finished_at', (r) => new Date(r.finishedAtMs).toISOString()],
  ['model_name', (r) => r.modelName],
  ['model_key', (r) => r.modelKey],
  ['method_id', (r) => r.methodId],
  ['method_kind', (r) => r.methodKind],
  ['params', (r) => paramsText(r.params)],
  ['ratio', (r) => runRatio(r)],
  // What the run asked for vs what it reached (0..1; empty when unknown, e.g. an old record without overallSparsity).
  ['target_ratio', (r) => targetRatio(r)],
  ['realised_sparsity', (r) => realisedSparsity(r)],
  ['overall_sparsity', (r) => r.overallSparsity ?? null],
  ['removed_blocks', (r) => r.removedBlocks.join(' ')],
  ['layers_before', (r) => r.layersBefore],
  ['layers_after', (r) => r.layersAfter],
  ['parameters_before', (r) => r.parametersBefore],
  ['parameters_after', (r) => r.parametersAfter],
  ['ppl_before', (r) => r.pplBefore],
  ['ppl_after', (r) => r.pplAfter],
  ['ppl_delta', (r) => pplDelta(r)],
  ['ppl_windows', (r) => r.pplWindows],
  ['ppl_seq_len', (r) => r.pplSeqLen],
  ['ppl_text', (r) => r.pplTextName],
  ['calibration', (r) => `${r.calibration.textName} × ${r.calibration.windows}`],
  ['calibration_text', (r) => r.calibration.textName],
  ['calibration_windows', (r) => r.calibration.windows],
  ['calibration_seq_len', (r) => r.calibration.seqLen],
  ['decode_tokens_per_s_dense', (r) => r.decodeTokensPerSDense],
  ['decode_tokens_per_s_pruned', (r) => r.decodeTokensPerSPruned],
  ['prefill_ms_dense', (r) => r.prefillMsDense],
  ['prefill_ms_pruned', (r) => r.prefillMsPruned],
  ['speed_adapter', (r) => r.speedAdapter],
  // Zero-shot accuracy, dense and pruned (empty when the run did not measure it).
  ['acc_data', (r) => r.accuracy?.dataName ?? null],
  ['acc_items', (r) => r.accuracy?.items ?? null],
  ['acc_before', (r) => r.accuracy?.accBefore ?? null],
  ['acc_after', (r) => r.accuracy?.accAfter ?? null],
  ['acc_norm_before', (r) => r.accuracy?.accNormBefore ?? null],
  ['acc_norm_after', (r) => r.accuracy?.accNormAfter ?? null],
  ['fp32_bytes_after', (r) => r.fp32BytesAfter ?? r.parametersAfter * 4],
  ['elapsed_ms', (r) => r.elapsedMs],
  ['block_sparsity', (r) => r.blockSparsity.join(' ')],
  // Older records lack generation; a run that did not generate holds null: both give empty cells.
  ['generation_prompt', (r) => r.generation?.prompt ?? null],
  ['generated_text_dense', (r) => r.generation?.dense ?? null],
  ['generated_text_pruned', (r) => r.generation?.pruned ?? null],
  // Recovery fine-tuning runs (empty for prune runs): the run recovered, how, and its training.
  ['recovery_of', (r) => r.recovery?.of ?? null],
  ['recovery_mode', (r) => (r.recovery ? (r.recovery.lora ? `lora r${r.recovery.lora.rank} alpha ${r.recovery.lora.alpha}${r.recovery.lora.masked ? ' masked' : ''}` : 'full') : null)],
  ['recovery_steps', (r) => r.recovery?.steps ?? null],
  ['recovery_train_tokens', (r) => r.recovery?.trainTokens ?? null],
  ['recovery_loss_first', (r) => r.recovery?.lossFirst ?? null],
  ['recovery_loss_last', (r) => r.recovery?.lossLast ?? null],
];

export const runsCsvHeader = columns.map(([name]) => name);

/** Rows as CSV: a header of the column names, one line per row, CRLF after every line. */
export function toCsv<T>(table: readonly [string, (row: T) => Cell][], rows: readonly T[]): string {
  const lines = [table.map(([name]) => name).join(','), ...rows.map((row) => table.map(([, cell]) => csvField(cell(row))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function runsToCsv(runs: RunRecord[]): string {
  return toCsv(columns, runs);
}

/** The records as stored, each with the derived `targetRatio` and `realisedSparsity` (0..1 or null) added. */
export function runsToJson(runs: RunRecord[]): string {
  return `${JSON.stringify(runs.map((run) => ({ ...run, targetRatio: targetRatio(run), realisedSparsity: realisedSparsity(run) })), null, 2)}\n`;
}
