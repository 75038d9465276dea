// The pruning slice's actions: list the methods, keep the form, queue runs (one, or a sweep) and run
// them one at a time with live progress and trace, cancel any, export the pruned model. Part of
// createLabStore; must not import React or the engine.

import { LabError, toLabErrorData } from '../errors';
import type { ExportedFile, ExportRequest, LabApi, MethodInfo, PruneRequest, PruneResult, TextSource } from '../lab/lab-api';
import type { FormValue } from './param-values';
import type { LabState, ShownError } from './lab-state';
import {
  buildPruneRequest,
  formValuesFor,
  idlePruneJob,
  mergeTrace,
  type PruneSettings,
  type PruningState,
  type QueuedRun,
  type SweepForm,
} from './pruning-state';
import { modelKeyOf } from './run-record';
import { runLabel, sweepRuns, type SweepRun } from './run-queue';
import { exportAndSave, exportRunning } from './export-and-save';

export interface PruningActions {
  /** Asks the lab for its methods; selects the first one unless a known one is selected. */
  loadMethods(): Promise<void>;
  selectMethod(methodId: string): void;
  setParamValue(methodId: string, name: string, value: FormValue): void;
  setPruneSettings(settings: Partial<PruneSettings>): void;
  /**
   * Queues the selected method with the form's values and starts the queue; resolves when the queue
   * stops (empty, or another job holds the lab). Invalid values show an error and queue nothing.
   */
  prune(): Promise<void>;
  /** Cancels the running queue item only (the queued ones go on). */
  cancelPrune(): void;
  /** Queues the selected method + form as one run; its queue id, or null when a value is invalid (error shown). */
  enqueueCurrent(): string | null;
  /** Queues every run of the sweep form (methods × ratios × calibration texts); their ids, [] when invalid (error shown). */
  enqueueSweep(): string[];
  /**
   * Queues a stored run's request again (its RunRecord.request) on the loaded model; a dropped text is
   * taken from the settings when a file of that name is chosen there, else it is refused naming the file.
   */
  rerun(runId: string): string | null;
  setSweep(sweep: Partial<SweepForm>): void;
  /** A queued item is skipped ('cancelled'); the running one is aborted. The others keep going. */
  cancelQueued(id: string): void;
  /** Drops done / cancelled / failed items from the queue list (their runs stay in the Runs table). */
  clearFinishedQueue(): void;
  /**
   * Runs queued items one after another while no other job runs and a model is loaded. Called by the
   * enqueue actions and when another job ends; calling it while it runs returns the same promise.
   */
  runQueue(): Promise<void>;
  /**
   * Exports the last pruned model and hands its files to `save` (a folder picker or downloads in the
   * app); records the saved paths and sizes. A `save` that throws an AbortError counts as cancelled.
   */
  exportPruned(save: (files: ExportedFile[]) => Promise<'folder' | 'downloads'>, format?: ExportRequest['format']): Promise<void>;
}

type Set = (partial: Partial<LabState> | ((state: LabState) => Partial<LabState>)) => void;
type Get = () => LabState & { showError(error: unknown, during: string): void };

/** What the runs slice gives back for a finished run: the RunRecord's id (null when nothing was recorded). */
type RunDone = (result: PruneResult, method: MethodInfo, request: PruneRequest) => Promise<string | null> | string | null | void;

let queueCounter = 0;
const newQueueId = () => `q${++queueCounter}-${Math.random().toString(36).slice(2, 7)}`;
const finished = (status: QueuedRun['status']) => status === 'done' || status === 'cancelled' || status === 'failed';

/** `onRunDone` hears every finished run (the runs slice records it and returns the record's id). */
export function createPruningActions(
  api: LabApi,
  set: Set,
  get: Get,
  isBusy: () => boolean,
  onRunDone: RunDone = () => {},
): PruningActions {
  // The running item's controller; not state (not plain data).
  let controller: AbortController | null = null;
  let runningId: string | null = null;
  // The queue loop's promise, and whether the loop is under way (set and cleared synchronously).
  let drainPromise: Promise<void> = Promise.resolve();
  let draining = false;
  const patch = (update: (pruning: PruningState) => Partial<PruningState>) =>
    set((state) => ({ pruning: { ...state.pruning, ...update(state.pruning) } }));
  const patchItem = (id: string, update: (item: QueuedRun) => Partial<QueuedRun>) =>
    patch((p) => ({ queue: p.queue.map((item) => (item.id === id ? { ...item, ...update(item) } : item)) }));
  const fail = (error: unknown, during: string): ShownError => ({ ...toLabErrorData(error), during });

  /** Shows invalid values as one bad-argument error; the job shows it too unless a run is under way. */
  function refuse(errors: Record<string, string>, during: string): void {
    const error = new LabError('bad-argument', Object.values(errors).join(' '), { fields: Object.keys(errors) });
    if (get().pruning.job.status !== 'running') patch(() => ({ job: { ...idlePruneJob(), status: 'failed', error: error.toData() } }));
    set({ error: fail(error, during) });
  }

  function enqueue(runs: SweepRun[]): string[] {
    const model = get().model;
    const modelKey = model ? modelKeyOf(model) : null;
    const items: QueuedRun[] = runs.map(({ method, request, label }) => ({
      id: newQueueId(), methodId: method.id, methodLabel: method.label, label, request, modelKey,
      status: 'queued', progress: null, error: null, runId: null,
    }));
    patch((p) => ({ queue: [...p.queue, ...items] }));
    set({ error: null });
    void actions.runQueue();
    return items.map((item) => item.id);
  }

  /** One queue item, mirrored into `job` (status, progress, live trace, result) while it runs. */
  async function runItem(item: QueuedRun): Promise<void> {
    const method = get().pruning.methods.find((m) => m.id === item.methodId) ?? null;
    controller = new AbortController();
    runningId = item.id;
    patchItem(item.id, () => ({ status: 'running', progress: null, error: null }));
    patch(() => ({ job: { ...idlePruneJob(), status: 'running' }, exported: { status: 'idle', files: [], savedTo: null } }));
    try {
      const result = await api.prune(item.request, {
        signal: controller.signal,
        onProgress: (progress) =>
          patch((p) => ({
            job: { ...p.job, progress, trace: progress.trace ? mergeTrace(p.job.trace, progress.trace) : p.job.trace },
            queue: p.queue.map((q) => (q.id === item.id ? { ...q, progress } : q)),
          })),
      });
      patch((p) => ({ job: { ...p.job, status: 'done', result, trace: result.trace, cancelling: false } }));
      patchItem(item.id, () => ({ status: 'done' }));
      const runId = method ? await onRunDone(result, method, item.request) : null;
      patchItem(item.id, () => ({ runId: runId ?? null }));
      patch((p) => ({ job: { ...p.job, runId: runId ?? null } }));
    } catch (error) {
      const data = toLabErrorData(error);
      const cancelled = data.code === 'cancelled';
      patch((p) => ({ job: { ...p.job, status: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : data, cancelling: false } }));
      patchItem(item.id, () => ({ status: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : data }));
      if (!cancelled) set({ error: fail(error, `Pruning with ${item.label}`) });
    } finally {
      controller = null;
      runningId = null;
    }
  }

  /** Aborts the running run; the UI says "Cancelling…" until it stops. */
  function cancelRunning(): void {
    if (!controller) return;
    controller.abort();
    patch((p) => ({ job: { ...p.job, cancelling: p.job.status === 'running' } }));
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      for (;;) {
        if (isBusy() || !get().model) return;
        const next = get().pruning.queue.find((item) => item.status === 'queued');
        if (!next) return;
        const model = get().model!;
        if (next.modelKey !== null && next.modelKey !== modelKeyOf(model)) {
          // Built for another model (its block counts, its key): never run it on this one.
          const message = `Queued for another model; ${model.name} is loaded now, so this run was not started.`;
          patchItem(next.id, () => ({ status: 'cancelled', error: { code: 'cancelled', message } }));
          continue;
        }
        await runItem(next);
      }
    } finally {
      draining = false;
    }
  }

  const actions: PruningActions = {
    async loadMethods() {
      patch(() => ({ methodsStatus: 'loading' }));
      try {
        const methods = await api.methods();
        patch((p) => ({
          methods,
          methodsStatus: 'done',
          formValues: formValuesFor(methods, p.formValues),
          selectedMethodId: methods.some((m) => m.id === p.selectedMethodId) ? p.selectedMethodId : (methods[0]?.id ?? null),
        }));
      } catch (error) {
        patch(() => ({ methodsStatus: 'failed' }));
        get().showError(error, 'Listing the pruning methods');
      }
    },

    selectMethod(methodId) {
      if (get().pruning.methods.some((m) => m.id === methodId)) patch(() => ({ selectedMethodId: methodId }));
    },

    setParamValue(methodId, name, value) {
      patch((p) => ({ formValues: { ...p.formValues, [methodId]: { ...p.formValues[methodId], [name]: value } } }));
    },

    setPruneSettings(settings) {
      patch((p) => ({ settings: { ...p.settings, ...settings } }));
    },

    async prune() {
      if (actions.enqueueCurrent() === null) return;
      await actions.runQueue();
    },

    cancelPrune() {
      cancelRunning();
    },

    enqueueCurrent() {
      const { pruning, model } = get();
      const method = pruning.methods.find((m) => m.id === pruning.selectedMethodId);
      if (!method) return null;
      const built = buildPruneRequest(method, pruning.formValues[method.id] ?? {}, pruning.settings, model?.numLayers);
      if (built.errors) {
        refuse(built.errors, `Pruning with ${method.label}`);
        return null;
      }
      return enqueue([{ method, request: built.request, label: runLabel(method, built.request) }])[0];
    },

    rerun(runId) {
      const run = get().runs.runs.find((r) => r.id === runId);
      const method = get().pruning.methods.find((m) => m.id === run?.methodId);
      if (!run?.request || !method) {
        set({ error: fail(new LabError('bad-argument', `Re-run: ${run ? `run ${run.methodLabel} kept no request (runs from before this version, or imported)` : 'that run is no longer listed'}.`), 'Re-running a run') });
        return null;
      }
      const file = get().pruning.settings.calibrationFile;
      const withFile = (source: TextSource): TextSource | null => (source.kind !== 'file' ? source : file && file.name === source.name ? { kind: 'file', name: file.name, text: file.text } : null);
      const calibration = withFile(run.request.calibration.text);
      const evaluation = run.request.evaluation ? withFile(run.request.evaluation.text) : undefined;
      if (!calibration || evaluation === null) {
        const name = run.request.calibration.text.kind === 'file' ? run.request.calibration.text.name : (run.request.evaluation?.text as { name: string }).name;
        set({ error: fail(new LabError('bad-text', `Re-run: this run read ${name}, whose text is not stored; choose ${name} as the calibration text file, then Re-run.`, { file: name }), 'Re-running a run') });
        return null;
      }
      const request: PruneRequest = { ...run.request, calibration: { ...run.request.calibration, text: calibration }, ...(run.request.evaluation && evaluation ? { evaluation: { ...run.request.evaluation, text: evaluation } } : {}) };
      return enqueue([{ method, request, label: runLabel(method, request) }])[0];
    },

    enqueueSweep() {
      const { pruning, model } = get();
      const sweep = sweepRuns(pruning.methods, pruning.formValues, pruning.settings, pruning.sweep, model?.numLayers);
      if (sweep.errors) {
        refuse(sweep.errors, 'Adding the sweep to the queue');
        return [];
      }
      return enqueue(sweep.runs);
    },

    setSweep(sweep) {
      patch((p) => ({ sweep: { ...p.sweep, ...sweep } }));
    },

    cancelQueued(id) {
      if (id === runningId) {
        cancelRunning();
        return;
      }
      patch((p) => ({ queue: p.queue.map((item) => (item.id === id && item.status === 'queued' ? { ...item, status: 'cancelled' } : item)) }));
    },

    clearFinishedQueue() {
      patch((p) => ({ queue: p.queue.filter((item) => !finished(item.status)) }));
    },

    runQueue() {
      if (!draining) drainPromise = drain();
      return drainPromise;
    },

    async exportPruned(save, format = 'safetensors') {
      if (isBusy() || get().pruning.job.status !== 'done') return;
      patch(() => ({ exported: exportRunning }));
      const { state, error } = await exportAndSave(() => api.exportModel({ which: 'pruned', format }), save);
      patch(() => ({ exported: state }));
      if (error) set({ error: fail(error, 'Downloading the pruned model') });
    },
  };
  return actions;
}
