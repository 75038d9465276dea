// A sweep manifest (JSON): model folder, methods × ratios × seeds, and the calibration / evaluation
// settings `lab prune` takes. Read and checked here (a bad field → bad-argument naming the file and the
// field), then expanded into one ordered list of runs that every shard computes alike.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { MethodInfo, ParamValue } from '../pruning/method';

export interface SweepManifest {
  /** The manifest's path as given. */
  file: string;
  /** Paths resolved against the manifest's folder. */
  model: string;
  methods: string[];
  /** null: no ratio, one run per method × seed with `params` as given (e.g. drop-blocks' blocks). */
  ratios: number[] | null;
  seeds: number[];
  calib: string | null;
  calibWindows: number;
  calibSample: 'first' | 'random';
  seqLen: number;
  eval: string | null;
  evalWindows: number | null;
  /** Method id → parameter name (as `lab methods --json` lists it) → value. */
  params: Record<string, Record<string, ParamValue>>;
  /** SHA-256 (16 hex) of the settings and of the calibration / evaluation texts; not of the model path. */
  hash: string;
}

export interface SweepRun {
  index: number;
  methodId: string;
  ratio: number | null;
  seed: number;
}

const known = ['model', 'methods', 'ratios', 'seeds', 'calib', 'calibWindows', 'calibSample', 'seqLen', 'eval', 'evalWindows', 'params'];

export function manifestError(file: string, field: string, message: string): LabError {
  return new LabError('bad-argument', `${file}: "${field}" ${message}`, { file, field });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function list<T>(file: string, raw: Record<string, unknown>, field: string, item: (v: unknown) => v is T, what: string): T[] | null {
  const value = raw[field];
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0) throw manifestError(file, field, `must be a non-empty list of ${what}`);
  value.forEach((v, i) => {
    if (!item(v)) throw manifestError(file, `${field}[${i}]`, `must be ${what}, got ${JSON.stringify(v)}`);
    if (value.indexOf(v) !== i) throw manifestError(file, `${field}[${i}]`, `repeats ${JSON.stringify(v)}`);
  });
  return value as T[];
}

function int(file: string, raw: Record<string, unknown>, field: string, min: number): number | null {
  const v = raw[field];
  if (v === undefined) return null;
  if (!Number.isInteger(v) || (v as number) < min) throw manifestError(file, field, `must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  return v as number;
}

function textPath(file: string, raw: Record<string, unknown>, field: string): string | null {
  const v = raw[field];
  if (v === undefined) return null;
  if (typeof v !== 'string' || v === '') throw manifestError(file, field, 'must be a path (relative to the manifest)');
  const resolved = path.resolve(path.dirname(file), v);
  if (field !== 'model' && !fs.existsSync(resolved)) throw new LabError('missing-file', `${file}: "${field}" ${resolved}: no such file`, { file, field });
  return resolved;
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

/** Reads and checks the manifest's own fields (method names and parameters are checked by checkMethods). */
export function readManifest(file: string): SweepManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LabError('missing-file', `${file}: no such manifest file`, { file });
    throw new LabError('bad-argument', `${file}: not a JSON manifest (${error instanceof Error ? error.message : String(error)})`, { file });
  }
  if (!isObject(raw)) throw new LabError('bad-argument', `${file}: a manifest is a JSON object {model, methods, ratios, ...}`, { file });
  for (const field of Object.keys(raw)) if (!known.includes(field)) throw manifestError(file, field, `is not a manifest field; known: ${known.join(', ')}`);
  const model = textPath(file, raw, 'model');
  if (model === null) throw manifestError(file, 'model', 'is required (the model folder, relative to the manifest)');
  const methods = list(file, raw, 'methods', (v): v is string => typeof v === 'string' && v !== '', 'method ids');
  if (methods === null) throw manifestError(file, 'methods', 'is required (e.g. ["magnitude", "wanda", "sleb"])');
  const ratios = list(file, raw, 'ratios', (v): v is number => typeof v === 'number' && v > 0 && v < 1, 'numbers in (0, 1)');
  const seeds = list(file, raw, 'seeds', (v): v is number => Number.isInteger(v) && (v as number) >= 0, 'whole numbers ≥ 0') ?? [0];
  const calibSample = raw.calibSample ?? 'first';
  if (calibSample !== 'first' && calibSample !== 'random') throw manifestError(file, 'calibSample', `must be "first" or "random", got ${JSON.stringify(calibSample)}`);
  const params = raw.params ?? {};
  if (!isObject(params)) throw manifestError(file, 'params', 'must be an object: method id → {parameter: value}');
  for (const [methodId, values] of Object.entries(params)) {
    if (!isObject(values)) throw manifestError(file, `params.${methodId}`, 'must be an object: parameter → value');
    for (const [name, v] of Object.entries(values))
      if (!['number', 'string', 'boolean'].includes(typeof v) && !(Array.isArray(v) && v.every(Number.isInteger)))
        throw manifestError(file, `params.${methodId}.${name}`, `must be a number, string, boolean or list of block indices, got ${JSON.stringify(v)}`);
  }
  const manifest: Omit<SweepManifest, 'hash'> = {
    file,
    model,
    methods,
    ratios,
    seeds,
    calib: textPath(file, raw, 'calib'),
    calibWindows: int(file, raw, 'calibWindows', 1) ?? 64,
    calibSample,
    seqLen: int(file, raw, 'seqLen', 2) ?? 256,
    eval: textPath(file, raw, 'eval'),
    evalWindows: int(file, raw, 'evalWindows', 1),
    params: params as SweepManifest['params'],
  };
  const { file: _file, model: _model, calib, eval: evalPath, ...settings } = manifest;
  const textHash = (p: string | null) => (p ? sha256(fs.readFileSync(p, 'utf8')) : null);
  const hash = sha256(JSON.stringify({ ...settings, calib: textHash(calib), eval: textHash(evalPath) })).slice(0, 16);
  return { ...manifest, hash };
}

/** Method ids and parameter names against the lab's methods (before the model is loaded). */
export function checkMethods(manifest: SweepManifest, methods: MethodInfo[]): void {
  const { file } = manifest;
  manifest.methods.forEach((id, i) => {
    if (!methods.some((m) => m.id === id)) throw manifestError(file, `methods[${i}]`, `'${id}' is not a pruning method; known: ${methods.map((m) => m.id).join(', ')}`);
  });
  for (const [methodId, values] of Object.entries(manifest.params)) {
    const info = methods.find((m) => m.id === methodId);
    if (!info || !manifest.methods.includes(methodId)) throw manifestError(file, `params.${methodId}`, `'${methodId}' is not in "methods"`);
    for (const name of Object.keys(values))
      if (!info.params.some((p) => p.name === name))
        throw manifestError(file, `params.${methodId}.${name}`, `is not a parameter of ${methodId}; it has ${info.params.map((p) => p.name).join(', ')}`);
  }
}

/** methods × ratios × seeds, in that nesting: the order every shard, the ids and `runs merge` follow. */
export function expandRuns(manifest: SweepManifest): SweepRun[] {
  const runs: SweepRun[] = [];
  for (const methodId of manifest.methods)
    for (const ratio of manifest.ratios ?? [null]) for (const seed of manifest.seeds) runs.push({ index: runs.length, methodId, ratio, seed });
  return runs;
}

/** A run's id: readable, and the same on every machine for the same settings and model weights. */
export function sweepRunId(manifest: SweepManifest, modelKey: string, run: SweepRun): string {
  const ratio = run.ratio === null ? '' : `-r${run.ratio}`;
  return `sweep-${manifest.hash.slice(0, 8)}-${modelKey.slice(0, 8)}-${String(run.index).padStart(4, '0')}-${run.methodId}${ratio}-s${run.seed}`;
}

/** The shard's runs: index % count === shard. */
export function shardRuns(runs: SweepRun[], shard: { index: number; count: number }): SweepRun[] {
  return runs.filter((run) => run.index % shard.count === shard.index);
}
