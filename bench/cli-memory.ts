// Peak RSS and wall time of the CLI (`src/cli/main.ts`) on random-weight models with real release
// shapes (bench/random-model.ts presets, fp16 safetensors by default), one child process per
// preset × command: eval, bench, prune wanda, prune sleb. Failures are recorded, not thrown.
// Node/Linux only (peak RSS from the child's getrusage and /proc/<pid>/status).
//   npx tsx bench/cli-memory.ts [--presets smollm2-135m,smollm2-360m,qwen2.5-0.5b,llama-3.2-1b]
//       [--commands eval,bench,prune-wanda,prune-sleb] [--cli-args "--threads 1"] [--timeout-s 900]
//       [--dtype f16|f32] [--calib-bytes 20000]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OUT_DIR, log, parseFlags, printResult, round } from './common';
import { presetByName, presetFolderRow, presets, weightDtypes, type WeightDtype } from './random-model';

const WORK_DIR = path.join(OUT_DIR, 'cli-memory');
const CLI = path.resolve('src/cli/main.ts');
const SAMPLE_TEXT = path.resolve('public/data/tinystories-valid-sample.txt');
const MAXRSS_ENV = 'PRUNELAB_BENCH_MAXRSS_FILE';

/**
 * Preloaded into the child (`node --require`): on exit, the main thread writes getrusage's ru_maxrss
 * (process.resourceUsage().maxRSS, KiB) in bytes to the file named by the environment variable.
 * That is the kernel's own peak, including the last moments that a poller could miss.
 */
const HOOK_SOURCE = `'use strict';
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');
const file = process.env.${MAXRSS_ENV};
if (file && isMainThread) {
  process.on('exit', () => {
    try { fs.writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)); } catch {}
  });
}
`;

export const commandIds = ['eval', 'bench', 'prune-wanda', 'prune-sleb'] as const;
export type CommandId = (typeof commandIds)[number];

/** CLI arguments of each measured command (the model folder and texts filled in). */
function commandArgs(id: CommandId, model: string, text: string): string[] {
  switch (id) {
    case 'eval':
      return ['eval', '--model', model, '--text', text, '--seq-len', '128', '--max-windows', '1'];
    case 'bench':
      return ['bench', '--model', model, '--prompt-tokens', '16', '--gen-tokens', '4', '--runs', '1', '--warmup-runs', '0'];
    case 'prune-wanda':
      return ['prune', '--model', model, '--method', 'wanda', '--ratio', '0.5', '--calib', text, '--calib-windows', '2', '--seq-len', '128'];
    case 'prune-sleb':
      return ['prune', '--model', model, '--method', 'sleb', '--blocks', '1', '--calib', text, '--calib-windows', '2', '--seq-len', '128'];
  }
}

/** Splits a flag string into words: whitespace separates, '…' and "…" group, no escapes. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

function procHwmBytes(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // gone (or not Linux)
  }
}

/** First string `backend` in the CLI's JSON, at the top level or one object down. */
function findBackend(result: unknown): string | null {
  if (!result || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  if (typeof r.backend === 'string') return r.backend;
  for (const v of Object.values(r)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>).backend === 'string') {
      return (v as Record<string, unknown>).backend as string;
    }
  }
  return null;
}

/** A few headline fields of the CLI's result (the full JSON can be large: prune traces). */
function summarize(id: CommandId | 'baseline', r: Record<string, unknown>): Record<string, unknown> {
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
  if (id === 'eval') return pick(['ppl', 'windows', 'tokensScored', 'seqLen', 'tokensScoredPerS']);
  if (id === 'bench') return pick(['promptTokens', 'genTokens', 'runs', 'prefillTokensPerS', 'decodeTokensPerS']);
  if (id === 'prune-wanda' || id === 'prune-sleb') return pick(['method', 'params', 'overallSparsity', 'removedBlocks', 'layersAfter', 'elapsedMs']);
  return {};
}

export interface CommandRun {
  command: CommandId | 'baseline';
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** max(getrusage ru_maxrss at exit, last /proc VmHWM poll); null when neither could be read. */
  peakRssBytes: number | null;
  peakRssMiB: number | null;
  /** Which reading gave peakRssBytes: 'rusage' (exit hook) or 'proc' (poll; the exit hook did not run, e.g. killed). */
  peakRssSource: 'rusage' | 'proc' | null;
  /** The two readings: ru_maxrss from the exit hook (0: the hook did not run) and the highest VmHWM polled every 200 ms. */
  rusageMaxRssBytes: number;
  polledVmHwmBytes: number;
  peakRssOverFp32Weights?: number | null;
  wallS: number;
  backend: string | null;
  error: string | null;
  result?: Record<string, unknown>;
}

/** Runs the CLI once as `node --require <hook> --import tsx src/cli/main.ts <args> --json`. */
async function runCli(id: CommandId | 'baseline', args: string[], timeoutS: number, label: string): Promise<CommandRun> {
  fs.mkdirSync(WORK_DIR, { recursive: true });
  const hook = path.join(WORK_DIR, 'maxrss-hook.cjs');
  fs.writeFileSync(hook, HOOK_SOURCE);
  const rssFile = path.join(WORK_DIR, `maxrss-${process.pid}-${label.replace(/[^\w.-]/g, '_')}.txt`);
  fs.rmSync(rssFile, { force: true });
  const argv = [process.execPath, '--require', hook, '--import', 'tsx', CLI, ...args, '--json'];
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, [MAXRSS_ENV]: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let polledHwm = 0;
  const poll = setInterval(() => (polledHwm = Math.max(polledHwm, procHwmBytes(child.pid!))), 200);
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const s = d.toString();
    stderrTail = (stderrTail + s).slice(-8000);
    for (const line of s.split('\n')) if (line.trim()) process.stderr.write(`[${label}] ${line}\n`);
  });
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutS * 1000);
  const { code, signal, spawnError } = await new Promise<{ code: number | null; signal: string | null; spawnError?: Error }>((resolve) => {
    child.on('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  clearTimeout(killer);
  clearInterval(poll);
  const wallS = round((performance.now() - t0) / 1000, 2);
  let rusage = 0;
  try {
    rusage = Number(fs.readFileSync(rssFile, 'utf8')) || 0;
    fs.rmSync(rssFile, { force: true });
  } catch {
    // no exit hook ran (killed by a signal, or crashed before exit)
  }
  const peak = Math.max(rusage, polledHwm);
  let json: Record<string, unknown> | null = null;
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  try {
    json = JSON.parse(lastLine) as Record<string, unknown>;
  } catch {
    json = null;
  }
  let error: string | null = null;
  if (spawnError) error = `spawn failed: ${spawnError.message}`;
  else if (timedOut) error = `timed out after ${timeoutS} s (killed)`;
  else if (code !== 0) {
    const fromJson = json && typeof json.error === 'object' && json.error ? (json.error as { code?: string; message?: string }) : null;
    const errLines = stderrTail.split('\n').filter((l) => /error/i.test(l));
    const message = fromJson ? `[${fromJson.code}] ${fromJson.message}` : errLines.pop()?.trim();
    const how = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}` : `exit code ${code}`;
    error = message ? (signal ? `${message} (${how})` : message) : how;
  }
  return {
    command: id,
    argv: argv.slice(1).map((a) => (a.startsWith('/') ? path.relative(process.cwd(), a) || a : a)),
    exitCode: code,
    signal,
    timedOut,
    peakRssBytes: peak > 0 ? peak : null,
    peakRssMiB: peak > 0 ? round(peak / 2 ** 20, 1) : null,
    peakRssSource: peak <= 0 ? null : rusage >= polledHwm ? 'rusage' : 'proc',
    rusageMaxRssBytes: rusage,
    polledVmHwmBytes: polledHwm,
    wallS,
    backend: findBackend(json),
    error,
    ...(json && code === 0 ? { result: summarize(id, json) } : {}),
  };
}

/** The first ~`bytes` of the TinyStories sample, cut at a whitespace: calibration and eval text. */
function ensureCalibText(bytes: number): string {
  const file = path.join(WORK_DIR, `calib-${bytes}.txt`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(WORK_DIR, { recursive: true });
    const text = fs.readFileSync(SAMPLE_TEXT, 'utf8').slice(0, bytes);
    const cut = text.search(/\s\S*$/);
    fs.writeFileSync(file, cut > 0 ? text.slice(0, cut) + '\n' : text);
  }
  return file;
}

export interface CliMemoryOptions {
  presets: string[];
  commands: CommandId[];
  cliArgs: string[];
  timeoutS: number;
  dtype: WeightDtype;
  calibBytes: number;
}

export async function runCliMemory(o: CliMemoryOptions): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  for (const p of o.presets) presetByName(p); // unknown names fail before anything runs
  const text = ensureCalibText(o.calibBytes);
  log('baseline: `methods` (node + tsx + the lab, no model)');
  const baseline = await runCli('baseline', ['methods', ...o.cliArgs], o.timeoutS, 'baseline');
  const rows: Record<string, unknown>[] = [];
  for (const name of o.presets) {
    const { dir, params, row } = presetFolderRow(name, o.dtype, log);
    const fp32 = params * 4;
    if (row.error) {
      rows.push(row);
      continue;
    }
    const runs: CommandRun[] = [];
    for (const id of o.commands) {
      log(`${name} ${id}`);
      const run = await runCli(id, [...commandArgs(id, dir, text), ...o.cliArgs], o.timeoutS, `${name} ${id}`);
      run.peakRssOverFp32Weights = run.peakRssBytes === null ? null : round(run.peakRssBytes / fp32, 2);
      log(`${name} ${id}: exit ${run.exitCode}, peak ${run.peakRssMiB} MiB (${run.peakRssOverFp32Weights}× fp32), ${run.wallS} s${run.error ? `, ${run.error}` : ''}`);
      runs.push(run);
    }
    const peaks = runs.map((r) => r.peakRssBytes ?? 0);
    const peak = Math.max(0, ...peaks);
    row.peakRssBytes = peak || null;
    row.peakRssCommand = peak ? runs[peaks.indexOf(peak)].command : null;
    row.peakRssOverFp32Weights = peak ? round(peak / fp32, 2) : null;
    row.commands = runs;
    rows.push(row);
  }
  const backends = [baseline, ...rows.flatMap((r) => (r.commands as CommandRun[] | undefined) ?? [])].map((r) => r.backend).filter((b): b is string => !!b);
  return {
    benchmark: 'cli-memory',
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      totalMemBytes: os.totalmem(),
      memGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    backend: backends[0] ?? null,
    settings: { ...o, calibText: path.relative(process.cwd(), text) },
    baseline,
    presets: rows,
    elapsedS: round((performance.now() - t0) / 1000, 1),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const list = (name: string, fallback: readonly string[]) => (flags.get(name)?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...fallback]);
  const commands = list('commands', commandIds);
  for (const c of commands) if (!commandIds.includes(c as CommandId)) throw new Error(`--commands: unknown '${c}'; commands: ${commandIds.join(', ')}`);
  const dtype = (flags.get('dtype') ?? 'f16') as WeightDtype;
  if (!weightDtypes.includes(dtype)) throw new Error(`--dtype must be one of ${weightDtypes.join(', ')}, got ${dtype}`);
  const timeoutS = Number(flags.get('timeout-s') ?? 900);
  if (!(timeoutS > 0)) throw new Error(`--timeout-s must be a positive number, got ${flags.get('timeout-s')}`);
  // parseFlags takes a value only when it does not start with '--': read --cli-args straight from argv.
  const i = process.argv.indexOf('--cli-args');
  const cliArgs = i > 0 && process.argv[i + 1] !== undefined ? splitWords(process.argv[i + 1]) : [];
  const result = await runCliMemory({
    presets: list('presets', Object.keys(presets)),
    commands: commands as CommandId[],
    cliArgs,
    timeoutS,
    dtype,
    calibBytes: Number(flags.get('calib-bytes') ?? 20000),
  });
  printResult('cli-memory', result);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  });
}
