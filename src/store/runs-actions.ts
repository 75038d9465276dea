// The runs slice: every finished prune run and recovery fine-tuning, kept in a RunStorage (IndexedDB in the app) and loaded at
// start; shown filtered to the loaded model by default. Must not import React or the engine.

import { countedWrites } from './counted-writes';
import type { ExportedFile, ExportRequest, FinetuneResult, LabApi, MethodInfo, PruneRequest, PruneResult } from '../lab/lab-api';
import { exportAndSave, exportRunning } from './export-and-save';
import { readLocal, writeLocal } from './local-storage';
import type { ExportState } from './pruning-state';
import type { LabState } from './lab-state';
import { isRunOfModel, recoveryRecordOf, runRecordOf, type RunRecord } from './run-record';
import { parseRunsJson } from './runs-import';
import { storedRunsNotice, type RunStorage } from './run-storage';

export interface RunsState {
  /** Oldest first, every model's. */
  runs: RunRecord[];
  status: 'idle' | 'loading' | 'done' | 'failed';
  /** false: only runs of the loaded model (modelKey) are shown. */
  showAllModels: boolean;
  /** The run others are compared with (pinned in the table), or null. Kept in localStorage. */
  baselineRunId: string | null;
  /** The format the table's Save / .zip buttons export. */
  exportFormat: ExportRequest['format'];
  /** The stored run being exported from the table, and how it went. */
  exporting: (ExportState & { runId: string }) | null;
  /** Stored runs not shown (saved by a newer version: hidden, kept; unreadable: discarded), said once per load; null / absent: none. */
  notice?: string | null;
  /** Run writes not yet committed to storage (0 / absent: every run in the table is saved). */
  saving?: number;
}

const BASELINE_KEY = 'prunelab.baselineRunId';

export function initialRunsState(): RunsState {
  return { runs: [], status: 'idle', showAllModels: false, baselineRunId: readLocal(BASELINE_KEY), exportFormat: 'safetensors', exporting: null, notice: null, saving: 0 };
}

/** The runs the table shows: the loaded model's, or all when asked (or when no model is loaded). */
export function visibleRuns(state: Pick<LabState, 'runs' | 'model'>): RunRecord[] {
  if (state.runs.showAllModels || !state.model) return state.runs.runs;
  const model = state.model;
  return state.runs.runs.filter((r) => isRunOfModel(r, model));
}

export interface RunsActions {
  /**
   * Reads the stored runs (checked: older versions migrated, newer ones hidden, unreadable ones discarded, with a
   * `notice` saying so); runs recorded meanwhile are kept too.
   */
  loadRuns(): Promise<void>;
  dismissRunsNotice(): void;
  clearRuns(): Promise<void>;
  setShowAllModels(show: boolean): void;
  /**
   * Appends a finished run and stores it (a storage failure shows an error; the run stays in the table).
   * Resolves to the RunRecord's id (null when no model is loaded, nothing recorded).
   */
  recordRun(result: PruneResult, method: MethodInfo | null, request?: PruneRequest): Promise<string | null>;
  /** Removes a run from the table and from storage, and the lab's stored plan of it. */
  deleteRun(runId: string): Promise<void>;
  setRunsExportFormat(format: ExportRequest['format']): void;
  /** Pins a run as the baseline the table compares with (null unpins). */
  setBaseline(runId: string | null): void;
  /** Exports a stored run again (its plan re-applied to the loaded weights) and saves the files. */
  exportRun(runId: string, save: (files: ExportedFile[]) => Promise<'folder' | 'downloads'>, format?: ExportRequest['format']): Promise<void>;
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

export function createRunsActions(storage: RunStorage, set: SetState, get: Get, api: Pick<LabApi, 'exportModel' | 'deletePlan'> | null = null, now: () => number = Date.now): RunsActions {
  const patch = (update: (runs: RunsState) => Partial<RunsState>) => set((state) => ({ runs: { ...state.runs, ...update(state.runs) } }));
  /** Runs a storage write, counted in `saving` until it is committed (or failed). */
  const saving = countedWrites((delta) => patch((r) => ({ saving: (r.saving ?? 0) + delta })));
  async function append(run: RunRecord): Promise<string> {
    patch((r) => ({ runs: [...r.runs, run] }));
    try {
      await saving(() => storage.put(run));
    } catch (error) {
      get().showError(error, 'Saving the run');
    }
    return run.id;
  }
  return {
    async loadRuns() {
      patch(() => ({ status: 'loading' }));
      try {
        const report = await storage.load();
        const stored = report.runs;
        patch((r) => {
          const storedIds = new Set(stored.map((s) => s.id));
          return { status: 'done', notice: storedRunsNotice(report), runs: [...stored, ...r.runs.filter((run) => !storedIds.has(run.id))] };
        });
      } catch (error) {
        patch(() => ({ status: 'failed' }));
        get().showError(error, 'Reading the saved runs');
      }
    },

    dismissRunsNotice() {
      patch(() => ({ notice: null }));
    },

    async clearRuns() {
      const planIds = get().runs.runs.map((r) => r.planId).filter((id): id is string => typeof id === 'string');
      patch(() => ({ runs: [], baselineRunId: null }));
      writeLocal(BASELINE_KEY, null);
      // The runs first, in one transaction; then their plans (another database, in the worker): a tab that
      // dies in between leaves unused plans, never runs whose plan is gone.
      try {
        await saving(() => storage.clear());
      } catch (error) {
        get().showError(error, 'Clearing the saved runs');
        return;
      }
      for (const planId of planIds) await api?.deletePlan(planId).catch(() => {});
    },

    setShowAllModels(show) {
      patch(() => ({ showAllModels: show }));
    },

    async recordRun(result, method, request) {
      const model = get().model;
      if (!model) return null;
      const finishedAtMs = now();
      return append(runRecordOf(result, { model, method, finishedAtMs, id: newRunId(finishedAtMs), request }));
    },

    async deleteRun(runId) {
      const run = get().runs.runs.find((r) => r.id === runId);
      if (!run) return;
      patch((r) => ({ runs: r.runs.filter((x) => x.id !== runId), baselineRunId: r.baselineRunId === runId ? null : r.baselineRunId }));
      if (get().runs.baselineRunId === null) writeLocal(BASELINE_KEY, null);
      try {
        await saving(() => storage.delete(runId));
        if (run.planId && api) await api.deletePlan(run.planId);
      } catch (error) {
        get().showError(error, 'Deleting the run');
      }
    },

    setRunsExportFormat(format) {
      patch(() => ({ exportFormat: format }));
    },

    setBaseline(runId) {
      patch(() => ({ baselineRunId: runId }));
      writeLocal(BASELINE_KEY, runId);
    },

    async exportRun(runId, save, format = 'safetensors') {
      const run = get().runs.runs.find((r) => r.id === runId);
      if (!run?.planId || !api) return;
      const planId = run.planId;
      patch(() => ({ exporting: { ...exportRunning, runId } }));
      const { state, error } = await exportAndSave(() => api.exportModel({ which: 'stored', planId, format }), save);
      patch(() => ({ exporting: { ...state, runId } }));
      if (error) get().showError(error, `Exporting run ${run.methodLabel}`);
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
        await saving(() => storage.putAll(added));
      } catch (error) {
        get().showError(error, 'Saving the imported runs');
      }
      const model = get().model;
      const otherModels = added.filter((run) => !model || !isRunOfModel(run, model)).length;
      return { added: added.length, skipped: imported.length - added.length, otherModels };
    },
  };
}
