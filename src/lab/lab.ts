// The engine behind the LabApi, in-thread: used directly by tests and the CLI, and inside the
// worker by the app. Owns the loaded model, its tokenizer and its onnxruntime sessions.
// Jobs that use the sessions run one at a time (onnxruntime sessions are not re-entrant).

import { LabError, throwIfCancelled } from '../errors';
import type { LoadedModel, ModelFileRef } from '../model/loaded-model';
import { loadModelFromFiles } from '../model/load-model';
import { createTextTokenizer, type TextTokenizer } from '../tokenizer/text-tokenizer';
import { adapterLabel, configureOrt, detectBackend, detectNativeBackend, PRECISION_REQUESTS, precisionFor, wasmFallback, type NativeBackend } from '../runtime/ort';
import { runAdapterSelfTest, type AdapterSelfTest } from '../runtime/adapter-self-test';
import { createEngine, type Engine } from '../runtime/engine';
import type {
  LawProgress,
  LawRequest,
  LawResult,
  AccuracySummary,
  ChoiceDataSource,
  AccuracyProgress,
  AccuracyRequest,
  AccuracyResult,
  BackendInfo,
  BenchProgress,
  ExportedFile,
  ExportRequest,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneResult,
  MethodInfo,
  PruneProgress,
  PruneRequest,
  PruneResult,
  BenchRequest,
  BenchResult,
  GpuBenchProgress,
  GpuBenchRequest,
  GpuBenchResult,
  GenerateProgress,
  GenerateRequest,
  GenerateResult,
  ImportCheck,
  JobOptions,
  LabApi,
  LoadOptions,
  ModelSummary,
  PrecisionRequest,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
  TextSource,
} from './lab-api';
import { importMismatchError, runImportCheck } from './import-check';
import { deviceLostError, endGpuJob, startGpuJob, webGpuGeneration } from '../runtime/gpu-device';
import { runFirstBlockCheck } from './first-block-check';
import { summarizeModel } from './model-summary';
import { checkFiniteWeights, weightsHash } from './weights-hash';
import { evaluatePerplexity } from '../evaluation/perplexity';
import { partName, tokensForWindows } from '../evaluation/text-parts';
import { evaluateMultipleChoice, parseChoiceItems, type ChoiceItem } from '../evaluation/multiple-choice';
import { sourceName, type BundledId } from './bundled-data';
import { runBenchmark } from '../evaluation/benchmark';
import { chunkTokensFor, plannedContexts } from '../evaluation/context-sweep';
import { MAX_FILL_CHUNK, MAX_FILL_SCORES, numHeadsOf, runGpuBenchJob } from './gpu-bench-job';
import { generateText } from './generate-text';
import type { ModelSpec } from '../model/model-spec';
import { methodInfo } from '../pruning/registry';
import { exportHfFolder } from '../export/hf-folder';
import { exportTransformersJsFolder } from '../export/onnx-folder';
import { runPruneJob, type PruneJobContext } from './prune-job';
import { lawParams, runLawJob } from './law-job';
import { finetuneSettings, runFinetuneJob, trainedParameterCount } from './finetune-job';
import { checkExportable } from '../export/exportable';
import { modelCard, modelCardRunOf, type ModelCardRun } from '../export/model-card';
import { defaultPlanStorage, MAX_STORED_PLAN_BYTES, type PlanStorage } from './plan-storage';
import { compactPlan, compactPlanBytes, expandPlan } from '../pruning/plan-compact';
import { applyPlan } from '../pruning/apply-plan';
import type { PruningPlan } from '../pruning/plan';
import { checkLabJob, modelMemory, type LabJob } from './memory-check';
import type { SystemMemory } from '../runtime/memory-limits';

export interface LabOptions {
  /** Reads a bundled data file (public/data/). */
  loadText: (id: BundledId) => Promise<string>;
  preferWebGpu: boolean;
  /** Node only (after runtime/native-ort's useNativeOrt()): run on onnxruntime-node's cpu or cuda provider instead of WASM. */
  nativeBackend?: NativeBackend;
  /** Weight-matrix precision: 'auto' (default: fp16 on WebGPU with shader-f16 and on cuda), 'fp32' or 'fp16' (where the runtime has fp16 kernels). */
  precision?: PrecisionRequest;
  ortWasmPaths?: string;
  numThreads?: number;
  /** Lowers the memory limit jobs are checked against (bytes): headroom, or tests. CLI: --memory-limit-gb. */
  memoryLimitBytes?: number;
  /** The machine's memory (Node: os.freemem/totalmem), for the native runtime's limit; not imported here. */
  systemMemory?: () => SystemMemory;
  /** Test hook: perturbs the adapter's self-test results by this relative amount (a wrong adapter must be caught). */
  adapterFault?: number;
  /** Test hook: perturbs the adapter's first-block logits at load (first-block-check) by this relative amount. */
  blockFault?: number;
  /** Where prune plans are kept for exporting stored runs (default: IndexedDB where there is one, else none). */
  planStorage?: PlanStorage;
  /** Every load as if LoadOptions.allowMismatch were set (CLI: --allow-mismatch). */
  allowMismatch?: boolean;
}

interface CurrentModel {
  loaded: LoadedModel;
  tokenizer: TextTokenizer;
  engine: Engine;
  summary: ModelSummary;
  /** Encoded texts, keyed by the text itself, so a re-run does not re-tokenize (a prefix is marked as one). */
  encoded: Map<string, EncodedText>;
  /** Dense perplexity results of prune runs, by evaluation request. */
  densePpl: Map<string, PerplexityResult>;
  /** Dense accuracy results of prune runs, by accuracy request. */
  denseAccuracy: Map<string, AccuracySummary>;
  /** The last pruning run's model and result (for export and its model card), until the next run or model. */
  pruned: { spec: ModelSpec; result: PruneResult } | null;
  /** The last fine-tuning run's model and result (for export), until the next run, prune or model. */
  finetuned: { spec: ModelSpec; result: FinetuneResult; pruneResult: PruneResult | null } | null;
}



/** A text's ids; complete: false when only its first ids were tokenized (Lab.encodeText's maxTokens). */
interface EncodedText {
  ids: Int32Array;
  complete: boolean;
}

/** Tokenizing progress as a perplexity job's progress (phase 'tokenizing'), after 250 ms and then at most every 250 ms. */
function tokenizingProgress(onProgress: ((p: PerplexityProgress) => void) | undefined): ((charsDone: number, charsTotal: number) => void) | undefined {
  if (!onProgress) return undefined;
  const started = performance.now();
  let last = started;
  return (charsDone, charsTotal) => {
    const now = performance.now();
    if (now - started < 250 || (now - last < 250 && charsDone < charsTotal)) return;
    last = now;
    onProgress({ phase: 'tokenizing', charsDone, charsTotal, windowsDone: 0, windows: 0, tokensScored: 0, runningNll: 0, runningPpl: Number.NaN });
  };
}

/** The model a speed job measures (`which`, default 'loaded'), checked: 'pruned' needs a pruning run first. */
function measuredModel(model: CurrentModel, which: unknown, job: string): 'loaded' | 'pruned' {
  if (which !== undefined && which !== 'loaded' && which !== 'pruned') throw new LabError('bad-argument', `${job}: which must be 'loaded' or 'pruned', got '${String(which)}'`);
  if (which === 'pruned' && !model.pruned) throw new LabError('bad-argument', `${job}: there is no pruned model yet; run a pruning method first`);
  return which ?? 'loaded';
}

export class Lab implements LabApi {
  private current: CurrentModel | null = null;
  private backend: Promise<BackendInfo> | null = null;
  /** What the user asked for (LabOptions.precision, then setPrecision); the precision in effect is in `backend`. */
  private precisionRequest: PrecisionRequest;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly plans: PlanStorage | null;

  constructor(private readonly options: LabOptions) {
    this.precisionRequest = options.precision ?? 'auto';
    this.plans = options.planStorage ?? defaultPlanStorage();
    configureOrt({ wasmPaths: options.ortWasmPaths, numThreads: options.numThreads });
  }

  backendInfo(): Promise<BackendInfo> {
    this.backend ??= (this.options.nativeBackend ? detectNativeBackend(this.options.nativeBackend) : detectBackend(this.options.preferWebGpu).then((info) => this.trustAdapter(info))).then(
      (info) => ({ ...info, ...precisionFor(info, this.precisionRequest) }),
    );
    return this.backend;
  }

  /** A WebGPU adapter is used only after its numeric self-test against WASM passes; else the lab runs on WASM and says why. */
  private async trustAdapter(info: BackendInfo): Promise<BackendInfo> {
    if (info.backend !== 'webgpu') return info;
    let selfTest: AdapterSelfTest;
    try {
      selfTest = await runAdapterSelfTest('webgpu', { fault: this.options.adapterFault });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return wasmFallback(info, `the WebGPU adapter could not run the numeric self-test (${message})`, null);
    }
    if (!selfTest.passed) return wasmFallback(info, `the WebGPU adapter failed the numeric self-test: ${selfTest.failure}`, selfTest);
    return { ...info, selfTest };
  }

  async modelSummary(): Promise<ModelSummary | null> {
    return this.current?.summary ?? null;
  }

  setPrecision(request: PrecisionRequest): Promise<BackendInfo> {
    return this.exclusive(async () => {
      if (!PRECISION_REQUESTS.includes(request)) throw new LabError('bad-argument', `precision must be auto, fp32 or fp16; got ${String(request)}`);
      this.precisionRequest = request;
      this.backend = null;
      const backend = await this.backendInfo();
      const model = this.current;
      if (model) {
        const engine = await createEngine(model.loaded.spec, { backend: backend.backend, precision: backend.precision });
        await model.engine.dispose();
        const memory = await modelMemory(model.loaded.spec, backend.backend, this.options, backend.precision);
        this.current = { ...model, engine, summary: { ...model.summary, memory }, densePpl: new Map() };
      }
      return backend;
    });
  }

  loadModel(files: ModelFileRef[], options: LoadOptions = {}): Promise<ModelSummary> {
    return this.exclusive(async () => {
      const { signal, onProgress } = options;
      const started = performance.now();
      const loaded = await loadModelFromFiles(files, (p) => onProgress?.({ ...p }));
      throwIfCancelled(signal);
      // Every weight is read once here: hashed (the runs' model identity) and checked for NaN/Inf before any check runs on it.
      const hash = await weightsHash(loaded.spec, (name, data) => checkFiniteWeights(loaded.source.weightsFile, name, data));
      throwIfCancelled(signal);
      const tokenizer = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
      let backend = await this.backendInfo();
      if (backend.backend === 'webgpu') onProgress?.({ stage: 'check', message: 'checking the GPU adapter on the first block against WASM', fraction: 0.75 });
      const firstBlock = await runFirstBlockCheck(loaded, tokenizer, backend, this.options.blockFault);
      if (firstBlock && !firstBlock.passed) {
        const reason = `the WebGPU adapter computed this model's first block wrong: its logits differ from WASM by ${firstBlock.maxAbsDiff?.toPrecision(2)} (allowed ${firstBlock.tolerance?.toPrecision(2)})`;
        const fallback = wasmFallback(backend, reason, backend.selfTest ?? null);
        this.backend = Promise.resolve({ ...fallback, ...precisionFor(fallback, this.precisionRequest) });
        backend = await this.backendInfo();
      }
      throwIfCancelled(signal);
      onProgress?.({ stage: 'session', message: `creating ${backend.backend} sessions`, fraction: 0.8 });
      const engine = await createEngine(loaded.spec, { backend: backend.backend, precision: backend.precision });
      try {
        throwIfCancelled(signal);
        if (loaded.referenceOnnx) onProgress?.({ stage: 'check', message: `checking the import: our graph's logits against ${loaded.referenceOnnx.file.path}`, fraction: 0.9 });
        const importCheck = loaded.referenceOnnx ? await this.importCheck(loaded, engine, tokenizer, backend) : null;
        const mismatchAllowed = importCheck !== null && !importCheck.passed;
        if (mismatchAllowed && !(options.allowMismatch ?? this.options.allowMismatch)) throw importMismatchError(importCheck, loaded.source.weightsFile);
        throwIfCancelled(signal);
        const summary = {
          ...summarizeModel(loaded, importCheck, performance.now() - started, hash, await modelMemory(loaded.spec, backend.backend, this.options, backend.precision)),
          firstBlockCheck: firstBlock,
          ...(mismatchAllowed ? { mismatchAllowed } : {}),
        };
        const previous = this.current;
        this.current = { loaded, tokenizer, engine, summary, encoded: new Map(), densePpl: new Map(), denseAccuracy: new Map(), pruned: null, finetuned: null };
        // The replaced model's failures (e.g. its files deleted) must not fail the new load.
        await previous?.engine.dispose().catch(() => undefined);
        return summary;
      } catch (error) {
        await engine.dispose();
        throw error;
      }
    });
  }

  /** The import check compares fp32 logits (it checks the import, not the precision): an fp16 engine gets an fp32 twin for it. */
  private async importCheck(loaded: LoadedModel, engine: Engine, tokenizer: TextTokenizer, backend: BackendInfo): Promise<ImportCheck | null> {
    if (backend.precision === 'fp32') return runImportCheck(loaded, engine, tokenizer, backend.backend);
    const fp32 = await createEngine(loaded.spec, { backend: backend.backend, precision: 'fp32' });
    try {
      return await runImportCheck(loaded, fp32, tokenizer, backend.backend);
    } finally {
      await fp32.dispose();
    }
  }

  evaluatePerplexity(request: PerplexityRequest, options: JobOptions<PerplexityProgress> = {}): Promise<PerplexityResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const resolved = await this.resolveText(request.text);
      const name = partName(resolved.name, request.part);
      // The window is capped at the model's context (the papers use the model's own when shorter).
      const seqLen = Math.min(request.seqLen ?? 256, model.loaded.spec.config.maxPositionEmbeddings);
      // With maxWindows, only as many tokens as those windows need are tokenized ('tail' needs the whole text).
      const onProgress = tokenizingProgress(options.onProgress);
      const encoded = await tokensForWindows((maxTokens) => this.encodeText(model, resolved.text, { maxTokens, signal: options.signal, onProgress }), request.part ?? 'all', seqLen, request.maxWindows);
      const tokens = encoded.ids;
      await this.checkMemory(model, { kind: 'perplexity', seqLen, tokens: tokens.length, maxWindows: request.maxWindows });
      return evaluatePerplexity(model.engine, tokens, {
        seqLen,
        maxWindows: request.maxWindows,
        textName: name,
        tokenizedPrefix: !encoded.complete,
        signal: options.signal,
        onProgress: options.onProgress,
      });
    });
  }

  lawExperiment(request: LawRequest, options: JobOptions<LawProgress> = {}): Promise<LawResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const backend = await this.backendInfo();
      const spec = model.loaded.spec;
      const info = methodInfo().find((m) => m.id === request.methodId);
      if (!info) throw new LabError('bad-argument', `laws: unknown method '${request.methodId}'`);
      if (!info.ratioParam || info.kind === 'sparsity')
        throw new LabError('bad-argument', `laws: ${info.id} is not a structured method with a ratio (the law is about physically smaller models: block or channel removal)`);
      const ratios = request.ratios;
      if (!Array.isArray(ratios) || ratios.length === 0 || ratios.some((r) => !(r >= 0 && r < 1)))
        throw new LabError('bad-argument', `laws: ratios must be a non-empty list of numbers in [0, 1), got ${JSON.stringify(ratios)}`);
      const budgets = request.rftTokens ?? [0];
      if (budgets.length === 0 || budgets.some((d) => !Number.isInteger(d) || d < 0))
        throw new LabError('bad-argument', `laws: rftTokens must be whole numbers ≥ 0, got ${JSON.stringify(budgets)}`);
      if (request.lossThreshold !== undefined && !(request.lossThreshold > 0)) throw new LabError('bad-argument', `laws: lossThreshold must be positive, got ${request.lossThreshold}`);
      // Movement pruning's soft binarizer sets its sparsity through λ, not the ratio: a law over ratios uses hard top-k.
      if (info.id === 'movement' && request.params?.binarizer === undefined) request = { ...request, params: { ...request.params, binarizer: 'topk' } };
      const recoverySource = request.recovery?.text ?? request.calibration.text;
      const recoveryRequest = (steps: number) => ({ which: 'pruned' as const, text: recoverySource, steps, batch: request.recovery?.batch, seqLen: request.recovery?.seqLen, evalWindows: 0 });
      const largest = Math.max(...ratios);
      await this.checkMemory(model, {
        kind: 'prune',
        request: { methodId: info.id, params: lawParams(info.ratioParam, largest, spec.layers.length), calibration: request.calibration, evaluation: { text: request.text, seqLen: request.seqLen, maxWindows: request.maxWindows }, speed: request.speed, accuracy: request.accuracy },
      });
      if (budgets.some((d) => d > 0)) {
        const settings = finetuneSettings(spec, recoveryRequest(1));
        await this.checkMemory(model, { kind: 'finetune', spec, batch: settings.batch, seqLen: settings.seqLen, trainableParams: trainedParameterCount(spec, settings) });
      }
      const evalText = await this.resolveText(request.text);
      const recoveryText = await this.resolveText(recoverySource);
      const choice = request.accuracy ? await this.choiceItems(request.accuracy.data) : null;
      const pruneContext = this.pruneContext(model, backend);
      await model.engine.releaseSessions();
      return runLawJob(
        {
          spec,
          backend,
          prune: (r, o) => runPruneJob(pruneContext, r, o),
          finetune: async (tuneSpec, settings, signal) => {
            const { result, spec: tuned } = await runFinetuneJob({ spec: tuneSpec, which: 'pruned', backend, settings, text: { name: recoveryText.name, ids: await this.encodeIds(model, recoveryText.text, signal) } }, { signal });
            if (result.stoppedEarly) throw new LabError('cancelled', 'Cancelled.');
            return tuned;
          },
          recoverySettings: (tuneSpec, steps) => finetuneSettings(tuneSpec, recoveryRequest(steps)),
          evalIds: await this.encodeIds(model, evalText.text, options.signal),
          evalName: evalText.name,
          choice,
          encode: (text) => model.tokenizer.encode(text),
        },
        request,
        info.ratioParam,
        options,
      );
    });
  }

  evaluateAccuracy(request: AccuracyRequest, options: JobOptions<AccuracyProgress> = {}): Promise<AccuracyResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const which = request.which ?? 'loaded';
      const spec = which === 'loaded' ? model.loaded.spec : which === 'pruned' ? model.pruned?.spec : which === 'finetuned' ? model.finetuned?.spec : undefined;
      if (which !== 'loaded' && which !== 'pruned' && which !== 'finetuned') throw new LabError('bad-argument', `accuracy: which must be 'loaded', 'pruned' or 'finetuned', got '${String(which)}'`);
      if (!spec) throw new LabError('bad-argument', `accuracy: there is no ${which} model yet`);
      if (request.maxItems !== undefined && (!Number.isInteger(request.maxItems) || request.maxItems < 1))
        throw new LabError('bad-argument', `accuracy: maxItems must be a positive integer, got ${request.maxItems}`);
      const { name: dataName, items } = await this.choiceItems(request.data);
      const maxTokens = spec.config.maxPositionEmbeddings;
      // One run scores every ending of an item, padded to the longest: 4 windows of at most the context.
      await this.checkMemory(model, { kind: 'perplexity', seqLen: maxTokens, tokens: 4 * maxTokens, maxWindows: 4 });
      const backend = await this.backendInfo();
      const engine = which === 'loaded' ? model.engine : await createEngine(spec, { backend: backend.backend, precision: backend.precision });
      try {
        const encode = (text: string) => model.tokenizer.encode(text);
        const result = await evaluateMultipleChoice(engine, encode, items, { maxTokens, maxItems: request.maxItems, dataName, signal: options.signal, onProgress: options.onProgress });
        return { ...result, which, backend: backend.backend };
      } finally {
        if (engine !== model.engine) await engine.dispose();
      }
    });
  }

  benchmark(request: BenchRequest, options: JobOptions<BenchProgress> = {}): Promise<BenchResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const which = measuredModel(model, request.which, 'benchmark');
      await this.checkMemory(model, { kind: 'bench', request });
      const backend = await this.backendInfo();
      const { config } = model.loaded.spec;
      return this.onEngineOf(model, which, backend, (engine) =>
        runBenchmark(engine, request, {
          vocabSize: config.vocabSize,
          contextLength: config.maxPositionEmbeddings,
          backend: backend.backend,
          adapter: adapterLabel(backend),
          isSoftwareAdapter: backend.isSoftwareAdapter,
          signal: options.signal,
          onProgress: options.onProgress,
        }),
      );
    });
  }

  /**
   * Runs `measure` on the loaded model's engine, or for 'pruned' on an engine of its own (disposed after;
   * the dense sessions are released first to make room for it).
   */
  private async onEngineOf<T>(model: CurrentModel, which: 'loaded' | 'pruned', backend: BackendInfo, measure: (engine: Engine) => Promise<T>): Promise<T> {
    if (which === 'loaded') return measure(model.engine);
    await model.engine.releaseSessions();
    const own = await createEngine(model.pruned!.spec, { backend: backend.backend, precision: backend.precision });
    try {
      return await measure(own);
    } finally {
      await own.dispose();
    }
  }

  benchmarkGpu(request: GpuBenchRequest, options: JobOptions<GpuBenchProgress> = {}): Promise<GpuBenchResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const which = measuredModel(model, request.which, 'benchmarkGpu');
      const backend = await this.backendInfo();
      const spec = which === 'pruned' ? model.pruned!.spec : model.loaded.spec;
      const context = spec.config.maxPositionEmbeddings;
      const P = request.promptTokens ?? 128;
      const G = request.genTokens ?? 64;
      const runs = request.runs ?? 3;
      const warmupRuns = request.warmupRuns ?? 1;
      // Checked before anything runs (bad counts, a context past the model's): LabError 'bad-argument'.
      const contexts = plannedContexts({ contexts: request.contexts, upToTokens: request.upToTokens, points: request.points, genTokens: G, runs, warmupRuns }, context);
      if (!(Number.isInteger(P) && P >= 1 && P + G <= context))
        throw new LabError('bad-argument', `benchmarkGpu: promptTokens must be a whole number ≥ 1 with promptTokens + genTokens (${P} + ${G}) within the model's context of ${context}`);
      const maxContext = contexts[contexts.length - 1];
      const chunkTokens = chunkTokensFor(maxContext, MAX_FILL_CHUNK, numHeadsOf(spec), MAX_FILL_SCORES);
      await this.checkMemory(model, { kind: 'bench-gpu', promptTokens: P, genTokens: G, maxContextTokens: maxContext, chunkTokens });
      const weightsBytes = which === 'loaded' ? model.summary.memory.weightsBytes : (await modelMemory(spec, backend.backend, this.options, backend.precision)).weightsBytes;
      try {
        return await this.onEngineOf(model, which, backend, (engine) =>
          runGpuBenchJob({ which, spec, engine, backend, model: model.summary, weightsBytes, promptTokens: P, genTokens: G, runs, warmupRuns, contexts }, options),
        );
      } finally {
        // The sweep grew the loaded model's cache up to its longest context: give that memory back.
        model.engine.releaseCache();
      }
    });
  }

  generate(request: GenerateRequest, options: JobOptions<GenerateProgress> = {}): Promise<GenerateResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      await this.checkMemory(model, { kind: 'generate', request });
      return generateText(model.engine, model.tokenizer, model.loaded.spec.config, request, options);
    });
  }

  async methods(): Promise<MethodInfo[]> {
    return methodInfo();
  }

  prune(request: PruneRequest, options: JobOptions<PruneProgress> = {}): Promise<PruneResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const backend = await this.backendInfo();
      model.pruned = null; // a failed or cancelled run leaves no stale pruned model behind
      model.finetuned = null;
      await this.checkMemory(model, { kind: 'prune', request });
      const { result, spec, plan } = await runPruneJob(this.pruneContext(model, backend), request, options);
      result.storedPlan = await this.storePlan(model, plan, result);
      model.pruned = { spec, result };
      return result;
    });
  }

  finetune(request: FinetuneRequest, options: JobOptions<FinetuneProgress> = {}): Promise<FinetuneResult> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      const backend = await this.backendInfo();
      const which = request.which ?? (model.pruned ? 'pruned' : 'loaded');
      if (which !== 'pruned' && which !== 'loaded') throw new LabError('bad-argument', `finetune: which must be 'pruned' or 'loaded', got '${String(which)}'`);
      const source = which === 'pruned' ? model.pruned : null;
      if (which === 'pruned' && !source) throw new LabError('bad-argument', 'finetune: there is no pruned model yet; run a pruning method first, or fine-tune the loaded model');
      const spec = source?.spec ?? model.loaded.spec;
      const settings = finetuneSettings(spec, request);
      const trainableParams = trainedParameterCount(spec, settings);
      await this.checkMemory(model, { kind: 'finetune', spec, batch: settings.batch, seqLen: settings.seqLen, trainableParams });
      const text = await this.resolveText(request.text);
      model.finetuned = null;
      await model.engine.releaseSessions(); // room for the trainer's sessions
      const { result, spec: tuned } = await runFinetuneJob({ spec, which, backend, settings, text: { name: text.name, ids: await this.encodeIds(model, text.text, options.signal) } }, options);
      model.finetuned = { spec: tuned, result, pruneResult: source?.result ?? null };
      return result;
    });
  }

  /** Keeps the run's plan (compact) so the run can be exported later; a failure to store is reported, not thrown. */
  private async storePlan(model: CurrentModel, plan: PruningPlan, result: PruneResult): Promise<NonNullable<PruneResult['storedPlan']>> {
    // Sized before packing: a lab without storage (the CLI) or an oversized plan never packs its masks.
    const bytes = compactPlanBytes(plan);
    if (!this.plans) return { planId: null, bytes, reason: 'this lab keeps no plans (Node: export each run when it finishes)' };
    if (bytes > MAX_STORED_PLAN_BYTES)
      return { planId: null, bytes, reason: `its plan (${(bytes / 1024 ** 3).toFixed(1)} GiB of masks and updated weights) is larger than the ${MAX_STORED_PLAN_BYTES / 1024 ** 3} GiB kept per run` };
    const planId = `plan-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const card = modelCardRunOf(result);
    try {
      await this.plans.put({ id: planId, weightsHash: model.summary.weightsHash, modelName: model.summary.name, savedAtMs: Date.now(), bytes, plan: compactPlan(plan), card });
      return { planId, bytes, reason: null };
    } catch (error) {
      return { planId: null, bytes, reason: `the browser did not store its plan (${error instanceof Error ? error.message : String(error)})` };
    }
  }

  async deletePlan(planId: string): Promise<void> {
    await this.plans?.delete(planId);
  }

  /** A stored run's model: its plan re-applied to the loaded weights (which must be the ones it was made on). */
  private async storedModel(model: CurrentModel, planId: string | undefined): Promise<{ spec: ModelSpec; card: ModelCardRun }> {
    if (!planId) throw new LabError('bad-argument', "export: which 'stored' needs a planId");
    const stored = (await this.plans?.get(planId)) ?? null;
    if (!stored) throw new LabError('bad-argument', 'export: this run\'s plan is no longer stored (it was deleted, or the browser cleared its storage); run it again to export it');
    if (stored.weightsHash !== model.summary.weightsHash)
      throw new LabError('bad-argument', `export: this run was made on ${stored.modelName} (weights ${stored.weightsHash}); the loaded model (${model.summary.name}, weights ${model.summary.weightsHash}) is another one. Load ${stored.modelName} to export it.`, { expected: stored.weightsHash, loaded: model.summary.weightsHash });
    return { spec: applyPlan(model.loaded.spec, expandPlan(stored.plan)), card: stored.card };
  }

  exportModel(request: ExportRequest): Promise<ExportedFile[]> {
    return this.exclusive(async () => {
      const model = this.requireModel();
      if (!['safetensors', 'transformers.js', 'both'].includes(request.format))
        throw new LabError('bad-argument', `export: unknown format '${String(request.format)}'; supported: safetensors, transformers.js, both`);
      if (request.which !== 'pruned' && request.which !== 'loaded' && request.which !== 'finetuned' && request.which !== 'stored')
        throw new LabError('bad-argument', `export: which must be 'pruned', 'loaded', 'finetuned' or 'stored', got '${String(request.which)}'`);
      const pruned = request.which === 'pruned' ? model.pruned : null;
      const finetuned = request.which === 'finetuned' ? model.finetuned : null;
      const stored = request.which === 'stored' ? await this.storedModel(model, request.planId) : null;
      const spec = request.which === 'pruned' ? pruned?.spec : request.which === 'finetuned' ? finetuned?.spec : request.which === 'stored' ? stored?.spec : model.loaded.spec;
      if (!spec)
        throw new LabError('bad-argument', request.which === 'finetuned' ? 'export: there is no fine-tuned model yet; run a fine-tuning first' : 'export: there is no pruned model yet; run a pruning method first');
      // Refused up front, before any weights are written (the UI knows it from PruneResult.exportable).
      const exportable = checkExportable(spec);
      const wantsSafetensors = request.format !== 'transformers.js';
      const wantsOnnx = request.format !== 'safetensors';
      if ((wantsSafetensors && !exportable.safetensors) || (wantsOnnx && !exportable.transformersJs))
        throw new LabError('bad-argument', `export as ${request.format}: ${exportable.reason ?? 'not exportable'}`);
      await this.checkMemory(model, { kind: 'export', request, spec });
      const { tokenizerJson, tokenizerConfig, generationConfig } = model.loaded;
      const onnxDtypes = request.onnxDtypes ?? ['fp32', 'fp16', 'q4'];
      const hf = wantsSafetensors ? exportHfFolder({ spec, tokenizerJson, tokenizerConfig, generationConfig, maxShardBytes: request.maxShardBytes }) : [];
      let files = hf;
      if (wantsOnnx) {
        const onnx = exportTransformersJsFolder(spec, { tokenizerJson, tokenizerConfig, generationConfig }, { dtype: onnxDtypes });
        // 'both': config and tokenizer files come once, the ONNX folder's (its config.json may also
        // declare external data for transformers.js).
        const have = new Set(onnx.map((f) => f.path));
        files = [...onnx, ...hf.filter((f) => !have.has(f.path))];
      }
      const { summary, loaded } = model;
      const card = modelCard({
        source: { name: summary.name, modelType: summary.modelType, layout: summary.layout, weightsFile: loaded.source.weightsFile, weightsDtype: summary.weightsDtype, parameters: summary.parameters, layers: summary.numLayers },
        prune: pruned?.result ?? finetuned?.pruneResult ?? stored?.card ?? null,
        files: files.map((f) => f.path),
        format: request.format,
        onnxDtypes: wantsOnnx ? onnxDtypes : [],
      });
      return [...files, { path: 'README.md', blob: new Blob([card], { type: 'text/markdown' }) }];
    });
  }

  /** Frees the sessions (the CLI calls this before exiting). */
  async dispose(): Promise<void> {
    await this.exclusive(async () => {
      await this.current?.engine.dispose();
      this.current = null;
    });
  }

  /** Refuses a job that cannot fit in memory ('insufficient-memory'), before it creates any session (memory-check.ts). */
  private async checkMemory(model: CurrentModel, job: LabJob): Promise<void> {
    const backend = await this.backendInfo();
    await checkLabJob({ spec: model.loaded.spec, engine: model.engine, tokenizer: model.tokenizer, backend: backend.backend, precision: backend.precision, options: this.options }, job);
  }

  private requireModel(): CurrentModel {
    if (!this.current) throw new LabError('no-model', 'No model is loaded: drop a model folder first.');
    return this.current;
  }

  /**
   * The text's ids, cached, tokenized in bounded pieces (tokenizer/text-tokenizer encodeBounded: equal to
   * encode(text)'s, cancellable). With maxTokens only the first that many are needed: a prefix is cached
   * with complete: false and never stands for the whole text.
   */
  private async encodeText(model: CurrentModel, text: string, options: { maxTokens?: number; signal?: AbortSignal; onProgress?: (charsDone: number, charsTotal: number) => void } = {}): Promise<EncodedText> {
    const maxTokens = options.maxTokens ?? Infinity;
    const cached = model.encoded.get(text);
    if (cached && (cached.complete || cached.ids.length >= maxTokens)) return cached;
    const { ids, complete } = await model.tokenizer.encodeBounded(text, { maxTokens: Number.isFinite(maxTokens) ? maxTokens : undefined, signal: options.signal, onProgress: options.onProgress });
    const entry = { ids, complete };
    model.encoded.set(text, entry);
    return entry;
  }

  /** The whole text's ids as a plain array (the fine-tuning and law jobs take number[]). */
  private async encodeIds(model: CurrentModel, text: string, signal: AbortSignal | undefined): Promise<number[]> {
    return Array.from((await this.encodeText(model, text, { signal })).ids);
  }

  private pruneContext(model: CurrentModel, backend: BackendInfo): PruneJobContext {
    return {
      loaded: model.loaded,
      engine: model.engine,
      backend,
      resolveText: (source) => this.resolveText(source),
      textName: sourceName,
      encodeText: (text, options) => this.encodeText(model, text, options),
      tokenizer: model.tokenizer,
      densePpl: model.densePpl,
      denseAccuracy: model.denseAccuracy,
      choiceItems: (source) => this.choiceItems(source),
    };
  }

  /** A bundled file's or a dropped file's name and text. */
  private async readSource(source: TextSource | ChoiceDataSource): Promise<{ name: string; text: string }> {
    return { name: sourceName(source), text: source.kind === 'bundled' ? await this.options.loadText(source.id) : source.text };
  }

  private async choiceItems(source: ChoiceDataSource): Promise<{ name: string; items: ChoiceItem[] }> {
    const { name, text } = await this.readSource(source);
    return { name, items: parseChoiceItems(text, name) };
  }

  private async resolveText(source: TextSource): Promise<{ name: string; text: string }> {
    const { name, text } = await this.readSource(source);
    if (text.trim().length === 0) throw new LabError('bad-text', `${name}: the text file is empty`, { file: name });
    return { name, text };
  }

  /** Runs jobs one after another; a failed job does not block the next. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    // A job during which the GPU device was lost fails as 'device-lost' (whatever onnxruntime threw): the
    // next job finds a new generation and its engines rebuild their sessions on a new device.
    const guarded = async () => {
      const generation = webGpuGeneration();
      startGpuJob();
      try {
        return await job();
      } catch (error) {
        const code = (error as { code?: string })?.code;
        if (webGpuGeneration() !== generation && code !== 'cancelled' && code !== 'device-lost') throw deviceLostError(error);
        throw error;
      } finally {
        endGpuJob();
      }
    };
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
