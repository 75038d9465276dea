// Runs coming back from a file: the Runs panel's "Export JSON" and `lab runs merge` (an array of
// RunRecords, derived fields beside them), and each line of a `lab sweep` shard (one RunRecord).
// Every field is checked; the record is rebuilt from the known fields only (derived ones dropped).
// Pure: must not import React, the worker, the engine or the CLI.

import { LabError } from '../errors';
import type { RunRecord } from './run-record';

type Check = (value: unknown) => boolean;
type Field = [name: string, check: Check, what: string];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const count: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const str: Check = (v) => typeof v === 'string';
const text: Check = (v) => typeof v === 'string' && v.length > 0;
const orNull = (check: Check): Check => (v) => v === null || check(v);
const arrayOf = (check: Check): Check => (v) => Array.isArray(v) && v.every(check);
const shaped = (fields: Field[]): Check => (v) => isObject(v) && fields.every(([name, check]) => check(v[name]));
const paramValue: Check = (v) => num(v) || typeof v === 'string' || typeof v === 'boolean';

const calibrationFields: Field[] = [
  ['windows', count, ''],
  ['seqLen', count, ''],
  ['sampling', (v) => v === 'first' || v === 'random', ''],
  ['seed', num, ''],
  ['textName', str, ''],
];

const required: Field[] = [
  ['id', text, 'a non-empty string'],
  ['finishedAtMs', num, 'a number (ms since the epoch)'],
  ['modelName', str, 'a string'],
  ['modelKey', (v) => typeof v === 'string' && /^[0-9a-f]{8,64}$/.test(v), 'the model hash (8 to 64 hex digits)'],
  ['methodId', text, 'a non-empty string'],
  ['methodLabel', str, 'a string'],
  ['methodKind', (v) => v === 'blocks' || v === 'sparsity' || v === 'width', "'blocks', 'sparsity' or 'width'"],
  ['params', (v) => isObject(v) && Object.values(v).every(paramValue), 'an object of numbers, strings and booleans'],
  ['calibration', shaped(calibrationFields), '{windows, seqLen, sampling: first|random, seed, textName}'],
  ['layersBefore', count, 'a whole number'],
  ['layersAfter', count, 'a whole number'],
  ['parametersBefore', count, 'a whole number'],
  ['parametersAfter', count, 'a whole number'],
  ['pplBefore', orNull(num), 'a number or null'],
  ['pplAfter', orNull(num), 'a number or null'],
  ['pplWindows', orNull(count), 'a whole number or null'],
  ['pplSeqLen', orNull(count), 'a whole number or null'],
  ['pplTextName', orNull(str), 'a string or null'],
  ['decodeTokensPerSDense', orNull(num), 'a number or null'],
  ['decodeTokensPerSPruned', orNull(num), 'a number or null'],
  ['prefillMsDense', orNull(num), 'a number or null'],
  ['prefillMsPruned', orNull(num), 'a number or null'],
  ['speedAdapter', orNull(str), 'a string or null'],
  ['elapsedMs', num, 'a number'],
  ['removedBlocks', arrayOf(count), 'a list of block indices'],
  ['blockSparsity', arrayOf(num), 'a list of numbers'],
];

/** Fields older records lack: absent is fine, present must be right. */
const optional: Field[] = [
  ['overallSparsity', num, 'a number'],
  ['layerSparsity', arrayOf(shaped([['block', count, ''], ['name', str, ''], ['sparsity', num, '']])), 'a list of {block, name, sparsity}'],
  ['trace', arrayOf((v) => isObject(v) && typeof v.kind === 'string'), 'a list of trace entries'],
  ['generation', orNull(shaped([['prompt', str, ''], ['dense', str, ''], ['pruned', str, '']])), 'null or {prompt, dense, pruned}'],
  ['fp32BytesAfter', count, 'a whole number'],
  ['importMismatch', (v) => typeof v === 'boolean', 'true or false'],
  [
    'accuracy',
    orNull(shaped([['dataName', str, ''], ['items', count, ''], ['accBefore', num, ''], ['accAfter', num, ''], ['accNormBefore', num, ''], ['accNormAfter', num, '']])),
    'null or {dataName, items, accBefore, accAfter, accNormBefore, accNormAfter}',
  ],
  ['sweep', shaped([['manifest', str, ''], ['manifestHash', text, ''], ['index', count, ''], ['runs', count, '']]), '{manifest, manifestHash, index, runs}'],
  [
    'recovery',
    shaped([
      ['of', orNull(text), ''],
      ['mode', (v) => v === 'lora' || v === 'full', ''],
      ['lora', orNull(shaped([['rank', count, ''], ['alpha', num, ''], ['masked', (v) => typeof v === 'boolean', '']])), ''],
      ['trainEmbeddings', (v) => typeof v === 'boolean', ''],
      ['steps', count, ''],
      ['stepsRequested', count, ''],
      ['trainTokens', count, ''],
      ['lossFirst', orNull(num), ''],
      ['lossLast', orNull(num), ''],
      ['tokensPerS', num, ''],
      ['backend', str, ''],
    ]),
    '{of, mode: lora|full, lora, trainEmbeddings, steps, stepsRequested, trainTokens, lossFirst, lossLast, tokensPerS, backend}',
  ],
];

function bad(where: string, message: string, field?: string): LabError {
  return new LabError('corrupt', `${where}: ${message}`, { where, ...(field ? { field } : {}) });
}

/** One run as the lab stores it, or a 'corrupt' LabError naming `where` (e.g. "runs.json: run 3") and the field. */
export function runRecordFromJson(value: unknown, where: string): RunRecord {
  if (!isObject(value)) throw bad(where, 'not a run (expected a JSON object)');
  const record: Record<string, unknown> = {};
  for (const [name, check, what] of required) {
    if (!(name in value)) throw bad(where, `${name} is missing`, name);
    if (!check(value[name])) throw bad(where, `${name} must be ${what}, got ${JSON.stringify(value[name])?.slice(0, 80)}`, name);
    record[name] = value[name];
  }
  for (const [name, check, what] of optional) {
    if (value[name] === undefined) continue;
    if (!check(value[name])) throw bad(where, `${name} must be ${what}`, name);
    record[name] = value[name];
  }
  return structuredClone(record) as unknown as RunRecord;
}

/** A runs file (a JSON array of runs, or {runs: [...]}) → its runs, first of each id kept. */
export function parseRunsJson(json: string, fileName: string): RunRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw bad(fileName, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const list = isObject(value) && Array.isArray(value.runs) ? value.runs : value;
  if (!Array.isArray(list)) throw bad(fileName, 'not a runs file: expected a JSON array of runs (what "Export JSON" and `lab runs merge` write)');
  const seen = new Set<string>();
  const runs: RunRecord[] = [];
  list.forEach((item, i) => {
    const run = runRecordFromJson(item, `${fileName}: run ${i + 1}`);
    if (!seen.has(run.id)) runs.push(run);
    seen.add(run.id);
  });
  return runs;
}
