// Both ends of the worker protocol: LabClient (main thread) implements LabApi by posting
// WorkerRequest messages; serveLabApi (worker) runs them on a real LabApi and posts WorkerResponses.
// Must not import the engine (lab.ts, runtime/): the main thread bundle stays free of onnxruntime.

import { LabError, toLabErrorData, type LabErrorData } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';
import type {
  LawProgress,
  LawRequest,
  LawResult,
  AccuracyProgress,
  AccuracyRequest,
  AccuracyResult,
  BackendInfo,
  BenchProgress,
  BenchRequest,
  BenchResult,
  GpuBenchProgress,
  GpuBenchRequest,
  GpuBenchResult,
  ExportedFile,
  ExportRequest,
  GenerateProgress,
  GenerateRequest,
  GenerateResult,
  JobOptions,
  LabApi,
  LoadOptions,
  MethodInfo,
  ModelSummary,
  PrecisionRequest,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
  PruneProgress,
  PruneRequest,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneResult,
  PruneResult,
  WorkerRequest,
  WorkerResponse,
} from './lab-api';

/** What both a Worker, the worker's own global scope and a MessagePort offer. */
export interface LabPort {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/** Number of data arguments each method takes before its JobOptions (if it has any). */
const dataArgCount: Record<keyof LabApi, number> = {
  backendInfo: 0,
  modelSummary: 0,
  setPrecision: 1,
  loadModel: 1,
  evaluatePerplexity: 1,
  evaluateAccuracy: 1,
  lawExperiment: 1,
  benchmark: 1,
  benchmarkGpu: 1,
  generate: 1,
  methods: 0,
  prune: 1,
  finetune: 1,
  exportModel: 1,
  deletePlan: 1,
};
const jobMethods = new Set<keyof LabApi>(['loadModel', 'evaluatePerplexity', 'evaluateAccuracy', 'lawExperiment', 'benchmark', 'benchmarkGpu', 'generate', 'prune', 'finetune']);

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: LabError) => void;
  onProgress?: (progress: unknown) => void;
  cleanup: () => void;
}

function toLabError(data: LabErrorData): LabError {
  return new LabError(data.code, data.message, data.details ?? {});
}

export class LabClient implements LabApi {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();

  constructor(private readonly port: LabPort) {
    port.onmessage = (event) => this.receive(event.data as WorkerResponse);
  }

  /** Rejects every call in flight, e.g. when the worker itself crashed. */
  failAll(error: LabErrorData): void {
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.cleanup();
      call.reject(toLabError(error));
    }
  }

  backendInfo(): Promise<BackendInfo> {
    return this.call('backendInfo', []);
  }
  modelSummary(): Promise<ModelSummary | null> {
    return this.call('modelSummary', []);
  }
  setPrecision(request: PrecisionRequest): Promise<BackendInfo> {
    return this.call('setPrecision', [request]);
  }
  loadModel(files: ModelFileRef[], options?: LoadOptions): Promise<ModelSummary> {
    return this.call('loadModel', [files], options, options?.allowMismatch ? { allowMismatch: true } : undefined);
  }
  evaluatePerplexity(request: PerplexityRequest, options?: JobOptions<PerplexityProgress>): Promise<PerplexityResult> {
    return this.call('evaluatePerplexity', [request], options);
  }

  evaluateAccuracy(request: AccuracyRequest, options?: JobOptions<AccuracyProgress>): Promise<AccuracyResult> {
    return this.call('evaluateAccuracy', [request], options);
  }

  lawExperiment(request: LawRequest, options?: JobOptions<LawProgress>): Promise<LawResult> {
    return this.call('lawExperiment', [request], options);
  }
  benchmark(request: BenchRequest, options?: JobOptions<BenchProgress>): Promise<BenchResult> {
    return this.call('benchmark', [request], options);
  }
  benchmarkGpu(request: GpuBenchRequest, options?: JobOptions<GpuBenchProgress>): Promise<GpuBenchResult> {
    return this.call('benchmarkGpu', [request], options);
  }
  generate(request: GenerateRequest, options?: JobOptions<GenerateProgress>): Promise<GenerateResult> {
    return this.call('generate', [request], options);
  }
  methods(): Promise<MethodInfo[]> {
    return this.call('methods', []);
  }
  prune(request: PruneRequest, options?: JobOptions<PruneProgress>): Promise<PruneResult> {
    return this.call('prune', [request], options);
  }

  finetune(request: FinetuneRequest, options?: JobOptions<FinetuneProgress>): Promise<FinetuneResult> {
    return this.call('finetune', [request], options);
  }
  /** The files' Blobs cross postMessage by structured clone (no copy of their bytes on the page's heap). */
  exportModel(request: ExportRequest): Promise<ExportedFile[]> {
    return this.call('exportModel', [request]);
  }

  deletePlan(planId: string): Promise<void> {
    return this.call('deletePlan', [planId]);
  }

  private call<R, P>(method: keyof LabApi, args: unknown[], options?: JobOptions<P>, settings?: Record<string, unknown>): Promise<R> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new LabError('cancelled', 'Cancelled.'));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      // The call settles when the worker answers 'cancelled', so a following job never overlaps it.
      const onAbort = () => this.port.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: options?.onProgress as ((progress: unknown) => void) | undefined,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.port.postMessage({ type: 'call', id, method, args, ...(settings ? { settings } : {}) } satisfies WorkerRequest);
    });
  }

  private receive(message: WorkerResponse): void {
    const call = this.pending.get(message.id);
    if (!call) return; // a late message for a call already failed by failAll
    if (message.type === 'progress') {
      call.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    call.cleanup();
    if (message.type === 'result') call.resolve(message.value);
    else call.reject(toLabError(message.error));
  }
}

/** Worker side: answers LabClient's messages arriving on `port` with calls on `api`. */
export function serveLabApi(api: LabApi, port: LabPort): void {
  const controllers = new Map<number, AbortController>();
  const post = (response: WorkerResponse) => {
    try {
      port.postMessage(response);
    } catch (error) {
      // Details that do not survive structured clone must not swallow the answer itself.
      if (response.type !== 'error') throw error;
      port.postMessage({ ...response, error: { code: response.error.code, message: response.error.message } });
    }
  };

  port.onmessage = (event) => {
    const request = event.data as WorkerRequest;
    if (request.type === 'cancel') {
      controllers.get(request.id)?.abort();
      return;
    }
    void run(request);
  };

  async function run(request: Extract<WorkerRequest, { type: 'call' }>): Promise<void> {
    const { id, method } = request;
    const controller = new AbortController();
    controllers.set(id, controller);
    try {
      if (!(method in dataArgCount)) throw new LabError('internal', `Unknown lab method "${String(method)}".`);
      const args = request.args.slice(0, dataArgCount[method]);
      if (jobMethods.has(method)) {
        const options: JobOptions<unknown> = {
          ...request.settings,
          signal: controller.signal,
          onProgress: (progress) => post({ type: 'progress', id, progress }),
        };
        args.push(options);
      }
      const fn = api[method] as (...callArgs: unknown[]) => Promise<unknown>;
      const value = await fn.apply(api, args);
      post({ type: 'result', id, value });
    } catch (error) {
      post({ type: 'error', id, error: toLabErrorData(error) });
    } finally {
      controllers.delete(id);
    }
  }
}
