// `lab sweep --manifest sweep.json --shard i/n --out dir`: this shard's runs of the manifest (index % n
// === i), each through the prune command's own request builder and prune, each appended as one
// RunRecord line to <out>/runs-shard-<i>-of-<n>.jsonl. Runs already in that file are skipped (resume).

import path from 'node:path';
import { LabError } from '../errors';
import type { Lab } from '../lab/lab';
import type { MethodInfo } from '../lab/lab-api';
import { modelKeyOf, runRecordOf } from '../store/run-record';
import { optionalStringFlag, stringFlag, type ParsedArgs } from './args';
import { loadModel, type Log } from './cli-inputs';
import { methodParams, pruneRequestOf, pruneWithProgress } from './prune-commands';
import { appendRun, openShardFile, shardFileName } from './runs-jsonl';
import { checkMethods, expandRuns, manifestError, readManifest, shardRuns, sweepRunId, type SweepManifest, type SweepRun } from './sweep-manifest';

export interface SweepOutput {
  manifest: string;
  manifestHash: string;
  modelKey: string;
  shard: { index: number; count: number };
  /** The shard file. */
  file: string;
  /** Runs in the whole sweep, and in this shard. */
  runs: number;
  shardRuns: number;
  /** Ids run now, and ids found in the shard file already. */
  ran: string[];
  skipped: string[];
}

/** `--shard i/n`: 0-based i < n, n ≥ 1 (default 0/1, the whole sweep). */
export function parseShard(raw: string | undefined): { index: number; count: number } {
  if (raw === undefined) return { index: 0, count: 1 };
  const match = /^(\d+)\/(\d+)$/.exec(raw);
  if (!match) throw new LabError('bad-argument', `--shard must be i/n (0-based shard i of n, e.g. 0/8), got '${raw}'`);
  const [index, count] = [Number(match[1]), Number(match[2])];
  if (count < 1) throw new LabError('bad-argument', `--shard ${raw}: n must be at least 1`);
  if (index >= count) throw new LabError('bad-argument', `--shard ${raw}: i must be below n (shards are 0-based: 0/${count} … ${count - 1}/${count})`);
  return { index, count };
}

/** A run as the flags `lab prune` would get for it. */
function pruneArgsOf(manifest: SweepManifest, run: SweepRun): ParsedArgs {
  const flags = new Map<string, string | true>([
    ['method', run.methodId],
    ['seed', String(run.seed)],
    ['calib-windows', String(manifest.calibWindows)],
    ['calib-sample', manifest.calibSample],
    ['seq-len', String(manifest.seqLen)],
  ]);
  if (run.ratio !== null) flags.set('ratio', String(run.ratio));
  if (manifest.calib) flags.set('calib', manifest.calib);
  if (manifest.eval) flags.set('eval', manifest.eval);
  if (manifest.evalWindows !== null) flags.set('eval-windows', String(manifest.evalWindows));
  for (const [name, value] of Object.entries(manifest.params[run.methodId] ?? {})) flags.set(name, String(value));
  return { command: 'prune', flags, positionals: [] };
}

/** Every run of the sweep (not only this shard's) must make a valid request, so all shards fail alike and early. */
function checkRuns(manifest: SweepManifest, runs: SweepRun[], methods: MethodInfo[], numLayers: number): void {
  for (const run of runs) {
    const info = methods.find((m) => m.id === run.methodId)!;
    try {
      methodParams(info, pruneArgsOf(manifest, run), numLayers);
    } catch (error) {
      if (!(error instanceof LabError)) throw error;
      const field = run.ratio !== null && /--ratio/.test(error.message) ? 'ratios' : `params.${run.methodId}`;
      throw manifestError(manifest.file, field, `(run ${run.index}: ${run.methodId}${run.ratio === null ? '' : ` ratio ${run.ratio}`}): ${error.message}`);
    }
  }
}

export async function runSweep(lab: Lab, args: ParsedArgs, log: Log): Promise<SweepOutput> {
  const manifest = readManifest(stringFlag(args, 'manifest'));
  const shard = parseShard(optionalStringFlag(args, 'shard'));
  const outDir = stringFlag(args, 'out');
  const methods = await lab.methods();
  checkMethods(manifest, methods);
  const runs = expandRuns(manifest);
  const mine = shardRuns(runs, shard);
  const file = path.join(outDir, shardFileName(shard));
  const done = openShardFile(file, log);
  const summary = await loadModel(lab, manifest.model, log);
  const modelKey = modelKeyOf(summary);
  checkRuns(manifest, runs, methods, summary.numLayers);
  const other = done.find((record) => record.modelKey !== modelKey);
  if (other)
    throw new LabError('bad-argument', `${file} holds runs of another model (${other.modelName}, key ${other.modelKey}; this one is ${modelKey}); give another --out`, { file });
  const doneIds = new Set(done.map((record) => record.id));
  log(`[sweep] ${manifest.file}: ${runs.length} runs; shard ${shard.index}/${shard.count}: ${mine.length} runs, ${mine.filter((r) => doneIds.has(sweepRunId(manifest, modelKey, r))).length} already in ${file}`);
  const output: SweepOutput = { manifest: manifest.file, manifestHash: manifest.hash, modelKey, shard, file, runs: runs.length, shardRuns: mine.length, ran: [], skipped: [] };
  for (const [n, run] of mine.entries()) {
    const id = sweepRunId(manifest, modelKey, run);
    const label = `run ${n + 1}/${mine.length} (#${run.index}) ${id}`;
    if (doneIds.has(id)) {
      log(`[sweep] ${label}: already done, skipped`);
      output.skipped.push(id);
      continue;
    }
    log(`[sweep] ${label}`);
    const { request, info } = await pruneRequestOf(lab, pruneArgsOf(manifest, run), summary.numLayers);
    const result = await pruneWithProgress(lab, request, log, `sweep ${n + 1}/${mine.length}`);
    const record = runRecordOf(result, { model: summary, method: info, finishedAtMs: Date.now(), id });
    record.sweep = { manifest: path.basename(manifest.file), manifestHash: manifest.hash, index: run.index, runs: runs.length };
    appendRun(file, record);
    output.ran.push(id);
    log(`[sweep] ${label}: done${record.pplAfter === null ? '' : `, ppl ${record.pplBefore?.toFixed(4)} → ${record.pplAfter.toFixed(4)}`}, sparsity ${(record.overallSparsity * 100).toFixed(2)}%`);
  }
  return output;
}

export function formatSweep(r: SweepOutput): string {
  return `shard ${r.shard.index}/${r.shard.count} of ${r.manifest}: ${r.ran.length} runs done, ${r.skipped.length} skipped (already there), ${r.shardRuns} in this shard, ${r.runs} in the sweep → ${r.file}`;
}
