// Large texts through `lab eval --max-windows N`: wall time and peak RSS of the CLI on single-line texts
// (TinyStories with its newlines as spaces, repeated) of 5 and 50 MB, which are tokenized only as far as
// the windows need (tokenizer/text-tokenizer encodeBounded). Also the whole 5 MB text tokenized in
// pieces (what a 'tail' evaluation needs) in a child process. Each run is a fresh child process; peak
// RSS is the child's getrusage ru_maxrss, written by a preloaded exit hook.
//   npx tsx bench/tokenize-bounded.ts [--sizes 5,50] [--max-windows 2] [--whole-mb 5] [--threads 1]

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { intFlag, log, machineInfo, OUT_DIR, parseFlags, printResult } from './common';

const WORK_DIR = path.join(OUT_DIR, 'tokenize-bounded');
const CLI = path.resolve('src/cli/main.ts');
const MODEL = path.resolve('public/models/stories260K');
const SAMPLE = path.resolve('public/data/tinystories-valid-sample.txt');
const RSS_ENV = 'PRUNELAB_BENCH_MAXRSS_FILE';
const HOOK = `'use strict';
const fs = require('node:fs');
const file = process.env.${RSS_ENV};
if (file) process.on('exit', () => { try { fs.writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)); } catch {} });
`;

const f = parseFlags();
if (f.has('child-whole')) {
  await tokenizeWholeInThisProcess(f.get('child-whole')!);
  process.exit(0);
}
const sizes = (f.get('sizes') ?? '5,50').split(',').map(Number);
const maxWindows = intFlag(f, 'max-windows', 2);
const wholeMb = intFlag(f, 'whole-mb', 5);
const threads = intFlag(f, 'threads', 1);
fs.mkdirSync(WORK_DIR, { recursive: true });
const hook = path.join(WORK_DIR, 'maxrss-hook.cjs');
fs.writeFileSync(hook, HOOK);

/** A single-line text of `mb` million characters (written once). */
function textFile(mb: number): string {
  const file = path.join(WORK_DIR, `single-line-${mb}mb.txt`);
  if (!fs.existsSync(file)) {
    const base = fs.readFileSync(SAMPLE, 'utf8').replace(/\n/g, ' ');
    const chars = mb * 1e6;
    fs.writeFileSync(file, base.repeat(Math.ceil(chars / base.length)).slice(0, chars));
  }
  return file;
}

/** A child `node --require hook --import tsx <args>`: exit code, wall ms, peak RSS, last stdout line as JSON. */
function child(args: string[], label: string): { exitCode: number | null; ms: number; peakRssMB: number | null; out: Record<string, unknown> | null; error: string | null } {
  const rssFile = path.join(WORK_DIR, `maxrss-${process.pid}-${label}.txt`);
  fs.rmSync(rssFile, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', hook, '--import', 'tsx', ...args], { env: { ...process.env, [RSS_ENV]: rssFile }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const ms = Math.round(performance.now() - t0);
  let peak: number | null = null;
  try {
    peak = Math.round(Number(fs.readFileSync(rssFile, 'utf8')) / 2 ** 20);
    fs.rmSync(rssFile, { force: true });
  } catch {
    // killed before its exit hook ran
  }
  let out: Record<string, unknown> | null = null;
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    out = null;
  }
  const error = r.status === 0 ? null : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return { exitCode: r.status, ms, peakRssMB: peak, out, error };
}

const runs: Record<string, unknown>[] = [];
for (const mb of sizes) {
  const text = textFile(mb);
  log(`eval --max-windows ${maxWindows} on ${mb} MB`);
  const r = child([CLI, 'eval', '--model', MODEL, '--text', text, '--seq-len', '256', '--max-windows', String(maxWindows), '--threads', String(threads), '--json'], `eval-${mb}`);
  runs.push({
    textMB: mb,
    maxWindows,
    ms: r.ms,
    peakRssMB: r.peakRssMB,
    exitCode: r.exitCode,
    windows: r.out?.windows ?? null,
    textTokens: r.out?.textTokens ?? null,
    backend: r.out?.backend ?? null,
    tokenizedPrefix: r.out?.tokenizedPrefix ?? false,
    error: r.error,
  });
}

const whole: Record<string, unknown>[] = [];
if (wholeMb > 0) {
  log(`whole ${wholeMb} MB text tokenized in pieces`);
  const r = child([new URL(import.meta.url).pathname, '--child-whole', textFile(wholeMb)], `whole-${wholeMb}`);
  whole.push({ textMB: wholeMb, ms: r.ms, peakRssMB: r.peakRssMB, ...(r.out ?? {}), error: r.error });
}

printResult('tokenize-bounded', { benchmark: 'tokenize-bounded', machine: machineInfo(threads), model: 'stories260k', runs, whole });

/** Child: the stories260K tokenizer, encodeBounded over the whole file; prints {tokens, tokenizeMs, pieces…}. */
async function tokenizeWholeInThisProcess(file: string): Promise<void> {
  const { createTextTokenizer } = await import('../src/tokenizer/text-tokenizer');
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(MODEL, name), 'utf8')) as Record<string, unknown>;
  const tok = createTextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
  const text = fs.readFileSync(file, 'utf8');
  const t0 = performance.now();
  let progressCalls = 0;
  const r = await tok.encodeBounded(text, { onProgress: () => progressCalls++ });
  const tokenizeMs = Math.round(performance.now() - t0);
  console.log(JSON.stringify({ chars: text.length, tokens: r.ids.length, complete: r.complete, hardCuts: r.hardCuts, pieces: progressCalls, tokenizeMs, msPerMB: Math.round(tokenizeMs / (text.length / 1e6)) }));
}
