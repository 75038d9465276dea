// The app store (zustand, vanilla so it runs in tests without React): state from lab-state.ts plus
// actions that call a LabApi (LabClient in the app, Lab in tests). Must not import React or the engine.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { toLabErrorData } from '../errors';
import type { AccuracyRequest, LawRequest, BenchRequest, GpuBenchRequest, ExportedFile, ExportRequest, FinetuneRequest, GenerateRequest, LabApi, PerplexityRequest, PrecisionRequest } from '../lab/lab-api';
import type { ModelFileRef } from '../model/loaded-model';
import { appendPoint, idleJob, initialLabState, isBusy, pointsFromResult, type JobKind, type LabState } from './lab-state';
import { createPruningActions, type PruningActions } from './pruning-actions';
import { idlePruneJob } from './pruning-state';
import { defaultRunStorage, type RunStorage } from './run-storage';
import { createRunsActions, type RunsActions } from './runs-actions';
import { createSpeedActions, type SpeedActions } from './speed-actions';
import { defaultSpeedStorage, type SpeedStorage } from './speed-storage';
import { exportAndSave, exportRunning } from './export-and-save';
import { readLocal, writeLocal } from './local-storage';

export interface LabActions extends PruningActions, RunsActions, SpeedActions {
  /** Reads the saved runs, asks the backend what it runs on and which pruning methods it has, then loads the first model (the bundled demo). */
  start(demoFiles: () => Promise<ModelFileRef[]>, demoName: string): Promise<void>;
  /**
   * Loads a model; `name` (the dropped folder's or file's) names it in the lab instead of its config's
   * name, so two models of one architecture are told apart. A failed load keeps the previous model.
   */
  loadModel(files: ModelFileRef[], source: string, name?: string | null, options?: { allowMismatch?: boolean }): Promise<void>;
  /** After a load refused by the import check ('import-mismatch'): loads the same files anyway, flagged. */
  loadAnyway(): Promise<void>;
  evaluate(request: PerplexityRequest): Promise<void>;
  /** The compression-law experiment, its points live. */
  lawExperiment(request: LawRequest): Promise<void>;
  /** Zero-shot multiple-choice accuracy, live per item. */
  evaluateAccuracy(request: AccuracyRequest): Promise<void>;
  benchmark(request: BenchRequest): Promise<void>;
  /** "Benchmark this model on my GPU": prefill, decode, decode against context, bandwidth and bounds; saved when done. */
  benchmarkGpu(request: GpuBenchRequest): Promise<void>;
  generate(request: GenerateRequest): Promise<void>;
  /** Recovery fine-tuning of the pruned (or loaded) model, with its loss curve live. */
  finetune(request: FinetuneRequest): Promise<void>;
  /** Saves the fine-tuned model as a Hugging Face folder (safetensors). */
  exportFinetuned(save: (files: ExportedFile[]) => Promise<'folder' | 'downloads'>): Promise<void>;
  /** Exports (converts) the model as loaded, without pruning, in `format`. */
  exportLoaded(save: (files: ExportedFile[]) => Promise<'folder' | 'downloads'>, format: ExportRequest['format']): Promise<void>;
  cancel(kind: JobKind): void;
  /** Weight-matrix precision (auto / fp32 / fp16); the model's sessions are rebuilt on next use. */
  setPrecision(request: PrecisionRequest): Promise<void>;
  /** Shows an error that happened outside a lab call (e.g. reading a dropped text file). */
  showError(error: unknown, during: string): void;
  dismissError(): void;
}

export type LabStoreState = LabState & LabActions;
export type LabStore = StoreApi<LabStoreState>;

const jobLabels: Record<JobKind, string> = {
  load: 'Loading the model',
  evaluation: 'Evaluating perplexity',
  accuracy: 'Measuring zero-shot accuracy',
  laws: 'Running the compression-law experiment',
  speed: 'Measuring speed',
  gpuBench: 'Benchmarking the model on this GPU',
  generation: 'Generating text',
  tuning: 'Fine-tuning',
};

/** The name of the model last loaded, across reloads. */
const LAST_MODEL_KEY = 'prunelab.lastModel';

/** `runStorage` / `speedStorage`: where finished runs and GPU benchmarks are kept (default: IndexedDB in a browser, memory elsewhere). */
export function createLabStore(api: LabApi, runStorage: RunStorage = defaultRunStorage(), speedStorage: SpeedStorage = defaultSpeedStorage()): LabStore {
  // AbortControllers are not state (not plain data); they live beside the store.
  const controllers = new Map<JobKind, AbortController>();

  const store = createStore<LabStoreState>()((set, get) => {
    /** Runs one job: status 'running' → 'done' | 'cancelled' | 'failed', with the error shown on failure. */
    /** The files of the last load the import check refused, for loadAnyway (File handles: kept beside the state, not in it). */
    let refusedLoad: { files: ModelFileRef[]; source: string; name: string | null } | null = null;

    async function runJob<R>(
      kind: JobKind,
      call: (signal: AbortSignal) => Promise<R>,
      onDone: (result: R) => void | Promise<void>,
    ): Promise<void> {
      const controller = new AbortController();
      controllers.set(kind, controller);
      try {
        const result = await call(controller.signal);
        await onDone(result);
      } catch (error) {
        const data = toLabErrorData(error);
        const status = data.code === 'cancelled' ? 'cancelled' : 'failed';
        set((state) => ({
          [kind]: { ...state[kind], status },
          error: status === 'failed' ? { ...data, during: jobLabels[kind] } : state.error,
        }));
      } finally {
        controllers.delete(kind);
        if (get().cancelling.includes(kind)) set((state) => ({ cancelling: state.cancelling.filter((k) => k !== kind) }));
      }
    }

    const runsActions = createRunsActions(runStorage, set, get, api);
    return {
      ...initialLabState(),
      ...runsActions,
      ...createSpeedActions(speedStorage, set, get),
      // "Clear runs" clears the saved GPU benchmarks too (what the lab keeps in this browser).
      async clearRuns() {
        await runsActions.clearRuns();
        await get().clearSpeedRecords();
      },
      ...createPruningActions(api, set, get, () => isBusy(get()), (result, method, request) => get().recordRun(result, method, request)),

      async start(demoFiles, demoName) {
        void get().loadRuns();
        void get().loadSpeedRecords();
        const previous = readLocal(LAST_MODEL_KEY);
        if (previous && previous !== demoName) set({ previousModel: previous });
        try {
          set({ backend: await api.backendInfo() });
        } catch (error) {
          get().showError(error, 'Starting the lab');
          return;
        }
        await get().loadMethods();
        set((state) => ({ load: { ...state.load, status: 'running', source: demoName } }));
        let files: ModelFileRef[];
        try {
          files = await demoFiles();
        } catch (error) {
          set((state) => ({ load: { ...state.load, status: 'failed' } }));
          get().showError(error, 'Fetching the demo model');
          return;
        }
        set((state) => ({ load: { ...state.load, status: 'idle' } }));
        await get().loadModel(files, demoName, demoName);
      },

      async setPrecision(request) {
        if (isBusy(get())) return;
        try {
          const backend = await api.setPrecision(request);
          const model = await api.modelSummary(); // its memory line follows the precision
          // Results measured at the other precision stay in the runs table; the panels start afresh.
          set({ backend, precisionRequest: request, model, evaluation: { ...idleJob(), points: [] }, speed: idleJob(), gpuBench: { ...idleJob(), recordId: null }, generation: idleJob() });
        } catch (error) {
          get().showError(error, 'Changing the precision');
        }
      },

      async loadModel(files, source, name = null, options = {}) {
        if (isBusy(get())) return;
        refusedLoad = null;
        const previous = get().model?.name ?? null;
        set({ load: { status: 'running', progress: null, result: null, source }, error: null });
        await runJob(
          'load',
          (signal) =>
            api.loadModel(files, { signal, allowMismatch: options.allowMismatch, onProgress: (progress) => set((s) => ({ load: { ...s.load, progress } })) }),
          (loaded) =>
            set((state) => {
              const model = name ? { ...loaded, name } : loaded;
              return {
                model,
                // Results measured on the previous model no longer describe what is loaded.
                load: { ...state.load, status: 'done', result: model, replaced: previous },
                evaluation: { ...idleJob(), points: [] },
                accuracy: idleJob(),
                laws: { ...idleJob(), points: [] },
                speed: idleJob(),
                gpuBench: { ...idleJob(), recordId: null },
                generation: idleJob(),
                tuning: { ...idleJob(), trace: [], exported: 'idle' },
                pruning: { ...state.pruning, job: idlePruneJob(), exported: { status: 'idle', files: [], savedTo: null } },
              };
            }),
        );
        if (get().load.status === 'failed' && get().error?.code === 'import-mismatch') refusedLoad = { files, source, name };
        if (get().load.status === 'done') {
          const loadedName = get().model?.name;
          if (loadedName) writeLocal(LAST_MODEL_KEY, loadedName);
          if (get().model?.name === get().previousModel) set({ previousModel: null });
        }
        // The backend may change with the model (e.g. a fallback to wasm for a big one).
        if (get().load.status === 'done') set({ backend: await api.backendInfo().catch(() => get().backend) });
      },

      async loadAnyway() {
        const refused = refusedLoad;
        if (!refused) return;
        await get().loadModel(refused.files, refused.source, refused.name, { allowMismatch: true });
      },

      async evaluate(request) {
        if (isBusy(get())) return;
        set({ evaluation: { status: 'running', progress: null, result: null, points: [] }, error: null });
        await runJob(
          'evaluation',
          (signal) =>
            api.evaluatePerplexity(request, {
              signal,
              onProgress: (progress) =>
                set((s) => ({ evaluation: { ...s.evaluation, progress, points: appendPoint(s.evaluation.points, progress) } })),
            }),
          (result) => set((s) => ({ evaluation: { ...s.evaluation, status: 'done', result, points: pointsFromResult(result) } })),
        );
      },

      async lawExperiment(request) {
        if (isBusy(get())) return;
        set({ laws: { status: 'running', progress: null, result: null, points: [] }, error: null });
        await runJob(
          'laws',
          (signal) =>
            api.lawExperiment(request, {
              signal,
              onProgress: (progress) => set((s) => ({ laws: { ...s.laws, progress, points: progress.point ? [...s.laws.points, progress.point] : s.laws.points } })),
            }),
          (result) => set((s) => ({ laws: { ...s.laws, status: 'done', result, points: result.points } })),
        );
      },

      async evaluateAccuracy(request) {
        if (isBusy(get())) return;
        set({ accuracy: { status: 'running', progress: null, result: null }, error: null });
        await runJob(
          'accuracy',
          (signal) => api.evaluateAccuracy(request, { signal, onProgress: (progress) => set((s) => ({ accuracy: { ...s.accuracy, progress } })) }),
          (result) => set((s) => ({ accuracy: { ...s.accuracy, status: 'done', result } })),
        );
      },

      async benchmark(request) {
        if (isBusy(get())) return;
        set({ speed: { status: 'running', progress: null, result: null }, error: null });
        await runJob(
          'speed',
          (signal) =>
            api.benchmark(request, { signal, onProgress: (progress) => set((s) => ({ speed: { ...s.speed, progress } })) }),
          (result) => set((s) => ({ speed: { ...s.speed, status: 'done', result } })),
        );
      },

      async benchmarkGpu(request) {
        if (isBusy(get())) return;
        set({ gpuBench: { status: 'running', progress: null, result: null, recordId: null }, error: null });
        await runJob(
          'gpuBench',
          (signal) => api.benchmarkGpu(request, { signal, onProgress: (progress) => set((s) => ({ gpuBench: { ...s.gpuBench, progress } })) }),
          async (result) => {
            set((s) => ({ gpuBench: { ...s.gpuBench, status: 'done', result } }));
            const recordId = await get().recordSpeed(result);
            set((s) => ({ gpuBench: { ...s.gpuBench, recordId } }));
          },
        );
      },

      async generate(request) {
        if (isBusy(get())) return;
        set({ generation: { status: 'running', progress: null, result: null }, error: null });
        await runJob(
          'generation',
          (signal) =>
            api.generate(request, {
              signal,
              onProgress: (progress) => set((s) => ({ generation: { ...s.generation, progress } })),
            }),
          (result) => set((s) => ({ generation: { ...s.generation, status: 'done', result } })),
        );
      },

      async finetune(request) {
        if (isBusy(get())) return;
        set({ tuning: { status: 'running', progress: null, result: null, trace: [], exported: 'idle' }, error: null });
        await runJob(
          'tuning',
          (signal) =>
            api.finetune(request, {
              signal,
              onProgress: (progress) =>
                set((s) => ({ tuning: { ...s.tuning, progress, trace: progress.step ? [...s.tuning.trace, progress.step] : s.tuning.trace } })),
            }),
          async (result) => {
            set((s) => ({ tuning: { ...s.tuning, status: 'done', result, trace: result.trace } }));
            await get().recordRecovery(result, result.which === 'pruned' ? get().pruning.job.runId : null);
          },
        );
      },

      async exportFinetuned(save) {
        if (isBusy(get()) || get().tuning.status !== 'done') return;
        set((s) => ({ tuning: { ...s.tuning, exported: 'running' } }));
        try {
          const files = await api.exportModel({ which: 'finetuned', format: 'safetensors' });
          await save(files);
          set((s) => ({ tuning: { ...s.tuning, exported: 'done' } }));
        } catch (error) {
          set((s) => ({ tuning: { ...s.tuning, exported: 'failed' } }));
          get().showError(error, 'Saving the fine-tuned model');
        }
      },

      async exportLoaded(save, format) {
        if (isBusy(get()) || !get().model) return;
        set({ loadedExport: exportRunning });
        const { state, error } = await exportAndSave(() => api.exportModel({ which: 'loaded', format }), save);
        set({ loadedExport: state });
        if (error) get().showError(error, 'Exporting the loaded model');
      },

      cancel(kind) {
        const controller = controllers.get(kind);
        if (!controller) return;
        controller.abort();
        if (!get().cancelling.includes(kind)) set((state) => ({ cancelling: [...state.cancelling, kind] }));
      },

      showError(error, during) {
        set({ error: { ...toLabErrorData(error), during } });
      },

      dismissError() {
        set({ error: null });
      },
    };
  });
  // Queued runs wait while another job (evaluation, speed, generation, export, a load) holds the lab,
  // and start when it ends.
  store.subscribe((state, previous) => {
    if (isBusy(previous) && !isBusy(state) && state.pruning.queue.some((item) => item.status === 'queued')) void state.runQueue();
  });
  return store;
}
