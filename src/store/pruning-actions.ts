// The pruning slice's actions: list the methods, keep the form, run / cancel a pruning job with live
// progress and trace, export the pruned model. Part of createLabStore; must not import React or the engine.

import { LabError, toLabErrorData } from '../errors';
import type { ExportedFile, ExportRequest, LabApi, MethodInfo, PruneResult } from '../lab/lab-api';
import type { FormValue } from './param-values';
import type { LabState, ShownError } from './lab-state';
import { buildPruneRequest, formValuesFor, idlePruneJob, mergeTrace, type PruneSettings, type PruningState } from './pruning-state';

export interface PruningActions {
  /** Asks the lab for its methods; selects the first one unless a known one is selected. */
  loadMethods(): Promise<void>;
  selectMethod(methodId: string): void;
  setParamValue(methodId: string, name: string, value: FormValue): void;
  setPruneSettings(settings: Partial<PruneSettings>): void;
  /** Runs the selected method with the form's values; invalid values show an error and run nothing. */
  prune(): Promise<void>;
  cancelPrune(): void;
  /**
   * Exports the last pruned model and hands its files to `save` (a folder picker or downloads in the
   * app); records the saved paths and sizes. A `save` that throws an AbortError counts as cancelled.
   */
  exportPruned(save: (files: ExportedFile[]) => Promise<'folder' | 'downloads'>, format?: ExportRequest['format']): Promise<void>;
}

type Set = (partial: Partial<LabState> | ((state: LabState) => Partial<LabState>)) => void;
type Get = () => LabState & { showError(error: unknown, during: string): void };

/** `onRunDone` hears every finished run (the runs slice records it). */
export function createPruningActions(
  api: LabApi,
  set: Set,
  get: Get,
  isBusy: () => boolean,
  onRunDone: (result: PruneResult, method: MethodInfo) => void = () => {},
): PruningActions {
  let controller: AbortController | null = null;
  const patch = (update: (pruning: PruningState) => Partial<PruningState>) =>
    set((state) => ({ pruning: { ...state.pruning, ...update(state.pruning) } }));
  const fail = (error: unknown, during: string): ShownError => ({ ...toLabErrorData(error), during });

  return {
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
      if (isBusy()) return;
      const { pruning, model } = get();
      const method = pruning.methods.find((m) => m.id === pruning.selectedMethodId);
      if (!method) return;
      const built = buildPruneRequest(method, pruning.formValues[method.id] ?? {}, pruning.settings, model?.numLayers);
      if (built.errors) {
        const error = new LabError('bad-argument', Object.values(built.errors).join(' '), { fields: Object.keys(built.errors) });
        patch(() => ({ job: { ...idlePruneJob(), status: 'failed', error: error.toData() } }));
        set({ error: fail(error, `Pruning with ${method.label}`) });
        return;
      }
      controller = new AbortController();
      patch(() => ({ job: { ...idlePruneJob(), status: 'running' }, exported: { status: 'idle', files: [], savedTo: null } }));
      set({ error: null });
      try {
        const result = await api.prune(built.request, {
          signal: controller.signal,
          onProgress: (progress) =>
            patch((p) => ({ job: { ...p.job, progress, trace: progress.trace ? mergeTrace(p.job.trace, progress.trace) : p.job.trace } })),
        });
        patch((p) => ({ job: { ...p.job, status: 'done', result, trace: result.trace } }));
        onRunDone(result, method);
      } catch (error) {
        const data = toLabErrorData(error);
        const cancelled = data.code === 'cancelled';
        patch((p) => ({ job: { ...p.job, status: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : data } }));
        if (!cancelled) set({ error: fail(error, `Pruning with ${method.label}`) });
      } finally {
        controller = null;
      }
    },

    cancelPrune() {
      controller?.abort();
    },

    async exportPruned(save, format = 'safetensors') {
      if (isBusy() || get().pruning.job.status !== 'done') return;
      patch(() => ({ exported: { status: 'running', files: [], savedTo: null } }));
      try {
        const files = await api.exportModel({ which: 'pruned', format });
        const savedTo = await save(files);
        patch(() => ({ exported: { status: 'done', files: files.map((f) => ({ path: f.path, bytes: f.blob.size })), savedTo } }));
      } catch (error) {
        const data = toLabErrorData(error);
        const cancelled = data.code === 'cancelled';
        patch(() => ({ exported: { status: cancelled ? 'cancelled' : 'failed', files: [], savedTo: null } }));
        if (!cancelled) set({ error: fail(error, 'Downloading the pruned model') });
      }
    },
  };
}
