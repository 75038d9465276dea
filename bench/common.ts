// Shared helpers of the benchmarks: flags, machine info, model folders (stories260K, the random
// SmolLM2-135M-shaped model and its ONNX layout), stats, and the JSON line. Node only; bench/ only.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readModelDir } from '../src/cli/read-model-dir';
import { stat } from '../src/evaluation/benchmark';
import { buildModelGraph } from '../src/graph/build-graph';
import type { Stat } from '../src/lab/lab-api';
import type { LoadedModel } from '../src/model/loaded-model';
import { loadModelFromFiles } from '../src/model/load-model';
import { presets, writeRandomModelFolder } from './random-model';

export { stat };
export type ModelId = 'stories260k' | 'smollm2-135m-random';
export const modelIds: ModelId[] = ['stories260k', 'smollm2-135m-random'];
export const OUT_DIR = path.resolve('bench/out');
export const ORT_WASM_DIR = path.resolve('node_modules/onnxruntime-web/dist') + '/';

/** `--name value` flags; `--flag` alone is 'true'. */
export function parseFlags(argv = process.argv.slice(2)): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    const next = argv[i + 1];
    const hasValue = next !== undefined && !next.startsWith('--');
    flags.set(argv[i].slice(2), hasValue ? next : 'true');
    if (hasValue) i++;
  }
  return flags;
}

export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return n;
}

export function modelFlag(flags: Map<string, string>): ModelId {
  const m = flags.get('model') ?? 'stories260k';
  if (!modelIds.includes(m as ModelId)) throw new Error(`--model must be one of ${modelIds.join(', ')}, got ${m}`);
  return m as ModelId;
}

export function machineInfo(threads: number): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    backend: 'wasm',
    threads,
    gpu: 'none used (onnxruntime-web wasm under Node)',
  };
}

export interface ModelFolders {
  id: ModelId;
  /** Folder our Lab loads (safetensors + config + tokenizer; no ONNX so no import check runs). */
  oursFiles: () => Promise<Awaited<ReturnType<typeof readModelDir>>>;
  /** Folder with config.json + onnx/model.onnx that transformers.js and the ONNX layout load. */
  onnxDir: string;
  /** What onnx/model.onnx is. */
  onnxOrigin: string;
  safetensorsBytes: number;
}

const STORIES_DIR = path.resolve('public/models/stories260K');
const RANDOM_DIR = path.join(OUT_DIR, 'smollm2-135m-random');
const RANDOM_ONNX_DIR = path.join(OUT_DIR, 'smollm2-135m-random-onnx');
const SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Files of `dir` whose path passes `keep`. */
async function filesOf(dir: string, keep: (p: string) => boolean) {
  return (await readModelDir(dir)).filter((f) => keep(f.path));
}

/** Makes sure the random model and its ONNX layout exist on disk (written once, reused). */
export async function ensureModelFolders(id: ModelId, log: (s: string) => void = () => {}): Promise<ModelFolders> {
  if (id === 'stories260k') {
    return {
      id,
      oursFiles: () => filesOf(STORIES_DIR, (p) => !p.endsWith('.onnx')),
      onnxDir: STORIES_DIR,
      onnxOrigin: 'original Optimum-style export shipped with the model (public/models/stories260K/onnx/model.onnx)',
      safetensorsBytes: fs.statSync(path.join(STORIES_DIR, 'model.safetensors')).size,
    };
  }
  const st = path.join(RANDOM_DIR, 'model.safetensors');
  if (!fs.existsSync(st) || !fs.existsSync(path.join(RANDOM_DIR, 'tokenizer_config.json'))) {
    log(`writing ${RANDOM_DIR}`);
    writeRandomModelFolder(RANDOM_DIR, presets['smollm2-135m'], { dtype: 'f32' });
  }
  const onnxFile = path.join(RANDOM_ONNX_DIR, 'onnx', 'model.onnx');
  if (!fs.existsSync(onnxFile) || fs.statSync(onnxFile).mtimeMs < fs.statSync(st).mtimeMs) {
    log(`writing ${onnxFile} (our builder, decoder, fold: false)`);
    const loaded = await loadModelFromFiles(await readModelDir(RANDOM_DIR));
    writeExportOnnx(loaded, onnxFile);
    for (const f of SIDE_FILES) fs.copyFileSync(path.join(RANDOM_DIR, f), path.join(RANDOM_ONNX_DIR, f));
  }
  return {
    id,
    oursFiles: () => readModelDir(RANDOM_DIR),
    onnxDir: RANDOM_ONNX_DIR,
    onnxOrigin:
      'no original exists for the random model: onnx/model.onnx was written by our own builder, buildModelGraph(spec, {purpose: "decoder", fold: false}) (the export layout: unfused q/k/v and gate/up, runtime rotate_half, all-position logits)',
    safetensorsBytes: fs.statSync(st).size,
  };
}

function writeExportOnnx(loaded: LoadedModel, file: string): void {
  const bytes = buildModelGraph(loaded.spec, { purpose: 'decoder', fold: false });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function roundStat(s: Stat, digits = 2): Stat {
  return { median: round(s.median, digits), min: round(s.min, digits), max: round(s.max, digits) };
}

export function mib(bytes: number): number {
  return round(bytes / 2 ** 20, 1);
}

/** The last stdout line of every benchmark: one JSON object (also saved under bench/out/). */
export function printResult(name: string, result: Record<string, unknown>): void {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const line = JSON.stringify(result);
  fs.writeFileSync(path.join(OUT_DIR, `${name}.json`), JSON.stringify(result, null, 2));
  console.log(line);
}

export const log = (s: string) => console.error(`[bench] ${s}`);
