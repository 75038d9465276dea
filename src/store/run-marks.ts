// What the Runs table marks on each run: its number in finishing order, whether it repeats an earlier
// run's request (duplicateKey), and whether it has the lowest perplexity among runs at the same ratio,
// scored on the same held-out windows. Pure.

import { duplicateKey, runRatio, targetRatio, type RunRecord } from './run-record';

export interface RunMark {
  /** 1-based, in finishing order (stable under sorting). */
  number: number;
  /** The number of the first run with the same request, when this one repeats it. */
  duplicateOf: number | null;
  /** Lowest perplexity after among two or more comparable runs at its ratio. */
  best: boolean;
}

/** The ratio a run is shown and plotted at: what it asked for, else what it reached. */
export const shownRatio = (run: RunRecord): number => targetRatio(run) ?? runRatio(run);

/** Runs at one ratio scored on the same windows of the same text, on the same model, compare. */
function ratioGroup(run: RunRecord): string {
  return JSON.stringify([run.modelKey, shownRatio(run).toFixed(3), run.pplTextName, run.pplWindows, run.pplSeqLen]);
}

/** Marks for `runs` (in any order; numbered by finishing time), by run id. */
export function runMarks(unordered: RunRecord[]): Map<string, RunMark> {
  const runs = [...unordered].sort((a, b) => a.finishedAtMs - b.finishedAtMs);
  const marks = new Map<string, RunMark>();
  const firstOf = new Map<string, number>();
  const bestOf = new Map<string, { id: string; ppl: number; count: number }>();
  runs.forEach((run, i) => {
    const key = duplicateKey(run);
    const first = firstOf.get(key);
    if (first === undefined) firstOf.set(key, i + 1);
    marks.set(run.id, { number: i + 1, duplicateOf: first ?? null, best: false });
    if (run.pplAfter === null || !Number.isFinite(run.pplAfter)) return;
    const group = ratioGroup(run);
    const current = bestOf.get(group);
    if (!current) bestOf.set(group, { id: run.id, ppl: run.pplAfter, count: 1 });
    else bestOf.set(group, run.pplAfter < current.ppl ? { id: run.id, ppl: run.pplAfter, count: current.count + 1 } : { ...current, count: current.count + 1 });
  });
  for (const { id, count } of bestOf.values()) if (count >= 2) marks.get(id)!.best = true;
  return marks;
}
