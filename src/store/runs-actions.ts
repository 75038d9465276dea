// The runs slice: every finished prune run and recovery fine-tuning, kept in a RunStorage (IndexedDB in the app) and loaded at
// start; shown filtered to the loaded model by default. Must not import React or the engine.

import type { FinetuneResult, MethodInfo, PruneResult } from '../lab/lab-api';
import type { LabState } from './lab-state';
import { isRunOfModel, recoveryRecordOf, runRecordOf, type RunRecord } from './run-record';
import { parseRunsJson } from './runs-import';
import type { RunStorage } from './run-storage';

export interface RunsState {
  /** Oldest first, every model's. */
  runs: RunRecord[];
  status: 'idle' | 'loading' | 'done' | 'failed';
  /** false: only runs of the loaded model (modelKey) are shown. */
  showAllModels: boolean;
}

export function initialRunsState(): RunsState {
  return { runs: [], status: 'idle', showAllModels: false };
}

/** The runs the table shows: the loaded model's, or all when asked (or when no model is loaded). */
export function visibleRuns(state: Pick<LabState, 'runs' | 'model'>): RunRecord[] {
  if (state.runs.showAllModels || !state.model) return state.runs.runs;
  const model = state.model;
  return state.runs.runs.filter((r) => isRunOfModel(r, model));
}

export interface RunsActions {
  /** Reads the stored runs; runs recorded meanwhile are kept too. */
  loadRuns(): Promise<void>;
  clearRuns(): Promise<void>;
  setShowAllModels(show: boolean): void;
  /**
   * Appends a finished run and stores it (a storage failure shows an error; the run stays in the table).
   * Resolves to the RunRecord's id (null when no model is loaded, nothing recorded).
   */
  recordRun(result: PruneResult, method: MethodInfo | null): Promise<string | null>;
  /** Appends a finished recovery fine-tuning run of the pruning run `sourceRunId` (null: the loaded model); its id, or null. */
  recordRecovery(result: FinetuneResult, sourceRunId: string | null): Promise<string | null>;
  /**
   * Adds the runs of a runs file ("Export JSON", `lab runs merge`), keeping their model hash; runs whose id is
   * already listed are skipped. A bad file shows an error naming the file and run, and adds nothing (→ null).
   */
  importRuns(json: string, fileName: string): Promise<RunsImported | null>;
}

export interface RunsImported {
  added: number;
  /** Already in the list (same id). */
  skipped: number;
  /** Of the added, made on another model than the loaded one (hidden unless showAllModels). */
  otherModels: number;
}

type SetState = (partial: Partial<LabState> | ((state: LabState) => Partial<LabState>)) => void;
type Get = () => LabState & { showError(error: unknown, during: string): void };

let runCounter = 0;
function newRunId(nowMs: number): string {
  runCounter += 1;
  return `run-${nowMs.toString(36)}-${runCounter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function createRunsActions(storage: RunStorage, set: SetState, get: Get, now: () => number = Date.now): RunsActions {
  const patch = (update: (runs: RunsState) => Partial<RunsState>) => set((state) => ({ runs: { ...state.runs, ...update(state.runs) } }));
  async function append(run: RunRecord): Promise<string> {
    patch((r) => ({ runs: [...r.runs, run] }));
    try {
      await storage.put(run);
    } catch (error) {
      get().showError(error, 'Saving the run');
    }
    return run.id;
  }
  return {
    async loadRuns() {
      patch(() => ({ status: 'loading' }));
      try {
        const stored = await storage.loadAll();
        patch((r) => {
          const storedIds = new Set(stored.map((s) => s.id));
          return { status: 'done', runs: [...stored, ...r.runs.filter((run) => !storedIds.has(run.id))] };
        });
      } catch (error) {
        patch(() => ({ status: 'failed' }));
        get().showError(error, 'Reading the saved runs');
      }
    },

    async clearRuns() {
      patch(() => ({ runs: [] }));
      try {
        await storage.clear();
      } catch (error) {
        get().showError(error, 'Clearing the saved runs');
      }
    },

    setShowAllModels(show) {
      patch(() => ({ showAllModels: show }));
    },

    async recordRun(result, method) {
      const model = get().model;
      if (!model) return null;
      const finishedAtMs = now();
      return append(runRecordOf(result, { model, method, finishedAtMs, id: newRunId(finishedAtMs) }));
    },

    async recordRecovery(result, sourceRunId) {
      const model = get().model;
      if (!model) return null;
      const source = sourceRunId === null ? null : (get().runs.runs.find((r) => r.id === sourceRunId) ?? null);
      const finishedAtMs = now();
      return append(recoveryRecordOf(result, source, { model, finishedAtMs, id: newRunId(finishedAtMs) }));
    },

    async importRuns(json, fileName) {
      let imported: RunRecord[];
      try {
        imported = parseRunsJson(json, fileName);
      } catch (error) {
        get().showError(error, 'Importing runs');
        return null;
      }
      const known = new Set(get().runs.runs.map((run) => run.id));
      const added = imported.filter((run) => !known.has(run.id));
      patch((r) => ({ runs: [...r.runs, ...added] }));
      try {
        for (const run of added) await storage.put(run);
      } catch (error) {
        get().showError(error, 'Saving the imported runs');
      }
      const model = get().model;
      const otherModels = added.filter((run) => !model || !isRunOfModel(run, model)).length;
      return { added: added.length, skipped: imported.length - added.length, otherModels };
    },
  };
}
