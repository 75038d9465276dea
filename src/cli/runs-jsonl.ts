// Shard files of `lab sweep`: one RunRecord per line (JSON Lines), appended as each run finishes.
// Read back for resume and by `runs merge`; every line is checked as the lab's "Import runs" checks a run.

import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { RunRecord } from '../store/run-record';
import { runRecordFromJson } from '../store/runs-import';

export interface JsonlRuns {
  runs: { record: RunRecord; line: number }[];
  /** A last line without its newline: a write cut off (a killed task); it is not a run. */
  cutOffTail: boolean;
}

export function shardFileName(shard: { index: number; count: number }): string {
  return `runs-shard-${shard.index}-of-${shard.count}.jsonl`;
}

/** The runs of a JSONL file; a bad line → 'corrupt' LabError naming the file and line (1-based). */
export function readRunsJsonl(file: string, allowCutOffTail = false): JsonlRuns {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const cutOffTail = lines[lines.length - 1] !== '';
  if (cutOffTail && allowCutOffTail) lines.pop();
  const runs: JsonlRuns['runs'] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new LabError('corrupt', `${where}: not a JSON line (${error instanceof Error ? error.message : String(error)})`, { file, line: i + 1 });
    }
    runs.push({ record: runRecordFromJson(value, where), line: i + 1 });
  });
  return { runs, cutOffTail: cutOffTail && allowCutOffTail };
}

/** A shard file ready to append to: its runs so far, a cut-off last line dropped (logged). */
export function openShardFile(file: string, log: (line: string) => void): RunRecord[] {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) return [];
  const { runs, cutOffTail } = readRunsJsonl(file, true);
  if (cutOffTail) {
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.lastIndexOf('\n') + 1));
    log(`[sweep] ${file}: dropped a cut-off last line (an interrupted write); that run runs again`);
  }
  return runs.map((r) => r.record);
}

/** One finished run, one line; appended whole so a reader never sees half of it unless the process dies mid-write. */
export function appendRun(file: string, record: RunRecord): void {
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/** Every *.jsonl file under `dir` (recursively), sorted by path. */
export function jsonlFilesUnder(dir: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new LabError('missing-file', `${dir}: no such folder`, { file: dir });
  }
  if (!stat.isDirectory()) return dir.endsWith('.jsonl') ? [dir] : [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => rel.endsWith('.jsonl'))
    .map((rel) => path.join(dir, rel))
    .filter((p) => fs.statSync(p).isFile())
    .sort();
}
