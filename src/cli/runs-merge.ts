// `lab runs merge <dir>... --out runs.json`: every *.jsonl under the folders (the shards of `lab sweep`),
// each line checked, de-duplicated by run id, sorted in manifest order, written as the runs file the
// lab's "Import runs" reads (the same JSON as the Runs panel's "Export JSON").

import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { RunRecord } from '../store/run-record';
import { runsToJson } from '../store/runs-csv';
import { stringFlag, type ParsedArgs } from './args';
import type { Log } from './cli-inputs';
import { jsonlFilesUnder, readRunsJsonl } from './runs-jsonl';

export interface MergeOutput {
  out: string;
  files: string[];
  runs: number;
  /** Lines whose run id came earlier (a shard run twice, or a file copied). */
  duplicates: number;
  /** Per manifest (hash): the indices of its runs that no file holds (shards not run or not finished). */
  missing: Record<string, number[]>;
}

/** Sweep runs by manifest hash, then index; other runs after them, by finish time. */
export function manifestOrder(a: RunRecord, b: RunRecord): number {
  if (a.sweep && b.sweep)
    return a.sweep.manifestHash === b.sweep.manifestHash ? a.sweep.index - b.sweep.index : a.sweep.manifestHash < b.sweep.manifestHash ? -1 : 1;
  if (a.sweep || b.sweep) return a.sweep ? -1 : 1;
  return a.finishedAtMs - b.finishedAtMs;
}

export function mergeRuns(dirs: string[], log: Log): { runs: RunRecord[]; files: string[]; duplicates: number; missing: Record<string, number[]> } {
  const files = [...new Set(dirs.flatMap(jsonlFilesUnder))];
  const byId = new Map<string, RunRecord>();
  let duplicates = 0;
  for (const file of files) {
    const { runs } = readRunsJsonl(file);
    log(`[merge] ${file}: ${runs.length} runs`);
    for (const { record } of runs) {
      if (byId.has(record.id)) duplicates++;
      else byId.set(record.id, record);
    }
  }
  const runs = [...byId.values()].sort(manifestOrder);
  const missing: Record<string, number[]> = {};
  const sweeps = new Map<string, { total: number; seen: Set<number> }>();
  for (const { sweep } of runs) {
    if (!sweep) continue;
    const entry = sweeps.get(sweep.manifestHash) ?? { total: sweep.runs, seen: new Set<number>() };
    entry.seen.add(sweep.index);
    sweeps.set(sweep.manifestHash, entry);
  }
  for (const [hash, { total, seen }] of sweeps) {
    const absent = Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i));
    if (absent.length > 0) missing[hash] = absent;
  }
  return { runs, files, duplicates, missing };
}

export async function runRunsCommand(args: ParsedArgs, log: Log): Promise<MergeOutput> {
  const [sub, ...dirs] = args.positionals;
  if (sub !== 'merge') throw new LabError('bad-argument', `runs: unknown subcommand '${sub ?? ''}'; try: runs merge <dir>... --out runs.json`);
  if (dirs.length === 0) throw new LabError('bad-argument', 'runs merge: give at least one folder of *.jsonl shard files');
  const out = stringFlag(args, 'out');
  const { runs, files, duplicates, missing } = mergeRuns(dirs, log);
  if (files.length === 0) throw new LabError('missing-file', `runs merge: no *.jsonl files under ${dirs.join(', ')}`);
  for (const [hash, indices] of Object.entries(missing))
    log(`[merge] warning: sweep ${hash} lacks ${indices.length} runs (indices ${indices.slice(0, 20).join(', ')}${indices.length > 20 ? ', …' : ''}): rerun their shards`);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, runsToJson(runs));
  log(`[merge] wrote ${runs.length} runs to ${out}${duplicates ? ` (${duplicates} duplicate lines dropped)` : ''}`);
  return { out, files, runs: runs.length, duplicates, missing };
}

export function formatMerge(r: MergeOutput): string {
  const gaps = Object.values(r.missing).reduce((n, list) => n + list.length, 0);
  return `${r.runs} runs from ${r.files.length} files → ${r.out}` + (r.duplicates ? `, ${r.duplicates} duplicates dropped` : '') + (gaps ? `, ${gaps} runs missing` : '');
}
