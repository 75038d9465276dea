// Saved GPU benchmarks (state.speedRecords): every finished "Benchmark this model on my GPU" becomes a SpeedRecord,
// kept in a SpeedStorage (IndexedDB in the app), loaded at start, deletable, cleared with the runs. The job itself
// (state.gpuBench) runs through lab-store's runJob and calls recordSpeed when done. Must not import React or the engine.

import { countedWrites } from './counted-writes';
import type { GpuBenchResult } from '../lab/lab-api';
import type { LabState } from './lab-state';
import { newSpeedRecordId, speedRecordOf, type SpeedRecord } from './speed-record';
import { storedSpeedNotice, type SpeedStorage } from './speed-storage';

export interface SpeedRecordsState {
  /** Oldest first, every model's. */
  records: SpeedRecord[];
  status: 'idle' | 'loading' | 'done' | 'failed';
  /** Saved measurements not shown (newer build: hidden; unreadable: discarded); null: none. */
  notice: string | null;
  /** Writes not yet committed (0: every listed record is saved). */
  saving: number;
}

export function initialSpeedRecordsState(): SpeedRecordsState {
  return { records: [], status: 'idle', notice: null, saving: 0 };
}

export interface SpeedActions {
  loadSpeedRecords(): Promise<void>;
  /** Appends a finished measurement of the loaded model and stores it; resolves to its id (null: no model loaded). */
  recordSpeed(result: GpuBenchResult): Promise<string | null>;
  deleteSpeedRecord(id: string): Promise<void>;
  /** Empties the list and the storage (a newer build's records stay stored). */
  clearSpeedRecords(): Promise<void>;
  dismissSpeedNotice(): void;
}

type SetState = (partial: Partial<LabState> | ((state: LabState) => Partial<LabState>)) => void;
type Get = () => LabState & { showError(error: unknown, during: string): void };

/** The label of the pruning run a 'pruned' measurement measured: the Runs table's entry of the current run. */
export function prunedRunLabel(state: Pick<LabState, 'pruning' | 'runs'>): string | null {
  const runId = state.pruning.job.runId;
  const run = runId ? state.runs.runs.find((r) => r.id === runId) : undefined;
  return run?.methodLabel ?? state.pruning.job.result?.methodId ?? null;
}

export function createSpeedActions(storage: SpeedStorage, set: SetState, get: Get, now: () => number = Date.now): SpeedActions {
  const patch = (update: (s: SpeedRecordsState) => Partial<SpeedRecordsState>) => set((state) => ({ speedRecords: { ...state.speedRecords, ...update(state.speedRecords) } }));
  const saving = countedWrites((delta) => patch((s) => ({ saving: s.saving + delta })));
  return {
    async loadSpeedRecords() {
      patch(() => ({ status: 'loading' }));
      try {
        const report = await storage.load();
        patch((s) => {
          const ids = new Set(report.records.map((r) => r.id));
          return { status: 'done', notice: storedSpeedNotice(report), records: [...report.records, ...s.records.filter((r) => !ids.has(r.id))] };
        });
      } catch (error) {
        patch(() => ({ status: 'failed' }));
        get().showError(error, 'Reading the saved GPU benchmarks');
      }
    },

    async recordSpeed(result) {
      const model = get().model;
      if (!model) return null;
      const savedAtMs = now();
      const record = speedRecordOf(result, { model, id: newSpeedRecordId(savedAtMs), savedAtMs, prunedLabel: prunedRunLabel(get()) });
      patch((s) => ({ records: [...s.records, record] }));
      try {
        await saving(() => storage.put(record));
      } catch (error) {
        get().showError(error, 'Saving the GPU benchmark');
      }
      return record.id;
    },

    async deleteSpeedRecord(id) {
      if (!get().speedRecords.records.some((r) => r.id === id)) return;
      patch((s) => ({ records: s.records.filter((r) => r.id !== id) }));
      try {
        await saving(() => storage.delete(id));
      } catch (error) {
        get().showError(error, 'Deleting the saved GPU benchmark');
      }
    },

    async clearSpeedRecords() {
      patch(() => ({ records: [] }));
      try {
        await saving(() => storage.clear());
      } catch (error) {
        get().showError(error, 'Clearing the saved GPU benchmarks');
      }
    },

    dismissSpeedNotice() {
      patch(() => ({ notice: null }));
    },
  };
}
