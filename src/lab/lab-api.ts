// The one typed API between the UI and the engine. `Lab` implements it in-thread (tests, CLI);
// `LabClient` implements it over postMessage to the worker (app). Everything crossing it is
// plain data (structured-clone safe): no sessions, no weight arrays, no class instances.

import type { LabErrorData } from '../errors';
import type { BenchProgress, BenchRequest, BenchResult } from '../evaluation/benchmark';
import type { GenerateProgress } from '../evaluation/generate';
import type { ChoiceProgress, ChoiceResult, ChoiceSummary, ItemScore } from '../evaluation/multiple-choice';
import type { LawReport } from '../evaluation/compression-law';
import type { PerplexityProgress, PerplexityResult } from '../evaluation/perplexity';
import type { ModelCardRun } from '../export/model-card';
import type { ModelFileRef } from '../model/loaded-model';
import type { MethodInfo, ParamValue } from '../pruning/method';
import type { PlanStats, TraceEntry } from '../pruning/plan';
import type { Backend, BackendInfo, PrecisionRequest } from '../runtime/ort';

// Types owned by the layers below, re-exported so the UI, store and CLI keep one import.
export type { BenchProgress, BenchRequest, BenchResult, Stat } from '../evaluation/benchmark';
import type { Stat } from '../evaluation/benchmark';
import type { DecodeBound } from '../evaluation/decode-bound';
import type { SweepPoint } from '../evaluation/context-sweep';
export type { DecodeBound } from '../evaluation/decode-bound';
export type { SweepPoint } from '../evaluation/context-sweep';
export type { GenerateProgress } from '../evaluation/generate';
export type { PerplexityProgress, PerplexityResult } from '../evaluation/perplexity';
import type { TextPart } from '../evaluation/text-parts';
import type { FirstBlockCheck } from './first-block-check';
export type { TextPart } from '../evaluation/text-parts';
export type { MethodInfo } from '../pruning/method';
export type { BackendInfo, PrecisionRequest } from '../runtime/ort';

export interface JobOptions<P> {
  signal?: AbortSignal;
  onProgress?: (progress: P) => void;
}

export interface LoadOptions extends JobOptions<LoadProgress> {
  /** Load even when the import check fails (the model card and every result then say so). Default: refuse. */
  allowMismatch?: boolean;
}

export interface LayerSummary {
  index: number;
  sourceIndex: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  parameters: number;
}

export interface ImportCheck {
  /** max |logit_ours − logit_dropped| over the probe sequence. */
  maxAbsDiff: number;
  probeTokens: number;
  /** Which graph was the reference (the dropped file's path). */
  referenceFile: string;
  /** Where each side ran: ours on the lab's backend; the reference always on WASM (CPU), the
   * most exact EP (onnxruntime's WebGPU EP runs the Optimum stories260K graph 5e-3 off). */
  oursBackend: Backend;
  /** Where the dropped graph ran: 'wasm', or the native 'cpu' under Node's native backends (no wasm heap limit). */
  referenceBackend: 'wasm' | 'cpu';
  passed: boolean;
  tolerance: number;
}

export interface ModelSummary {
  name: string;
  family: 'llama' | 'gpt2';
  modelType: string;
  layout: 'onnx-optimum' | 'onnx-genai' | 'safetensors';
  weightsDtype: string;
  parameters: number;
  /** Bytes of the dropped weight files. */
  fileBytes: number;
  /** Bytes of the fp32 weights the lab holds. */
  fp32Bytes: number;
  vocabSize: number;
  hiddenSize: number;
  maxPositionEmbeddings: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  tieWordEmbeddings: boolean;
  layers: LayerSummary[];
  /** null when no ONNX file was dropped (nothing to compare with). */
  importCheck: ImportCheck | null;
  /** Loaded although the import check failed (LoadOptions.allowMismatch): every result made on it is suspect. */
  mismatchAllowed?: boolean;
  files: string[];
  /** Milliseconds from files to a ready session. */
  loadMs: number;
  /**
   * SHA-256 (hex, 64 chars) over the weights as the lab holds them (fp32): every tensor's canonical
   * name, shape and bytes, in name order. The same weights dropped as ONNX or safetensors hash alike;
   * runs are tied to it ("the model they were made on").
   */
  weightsHash: string;
  /**
   * Memory plan (runtime/memory-plan.ts): the weights as the runtime holds them (one session's copy) and
   * the limit every job is checked against before it runs (null: not known, e.g. WebGPU device memory).
   */
  /** `sharedOnDevice`: held once in GPU buffers that every session binds (WebGPU), else one copy per session. */
  memory: { weightsBytes: number; precision: 'fp32' | 'fp16'; sharedOnDevice: boolean; limitBytes: number | null; limitSource: string };
  /** WebGPU only: the model's first block on the adapter against WASM, at load (lab/first-block-check); null elsewhere. */
  firstBlockCheck?: FirstBlockCheck | null;
}

export type LoadProgress = { stage: 'read' | 'parse' | 'build' | 'session' | 'check'; message: string; fraction: number };

/** Text to evaluate: a bundled sample by id, or text the user dropped. */
export type TextSource = { kind: 'bundled'; id: 'tinystories' | 'wikitext2' } | { kind: 'file'; name: string; text: string };

/** Multiple-choice items: the bundled HellaSwag validation items, or a dropped jsonl with the same fields (query, endings, label). */
export type ChoiceDataSource = { kind: 'bundled'; id: 'hellaswag' } | { kind: 'file'; name: string; text: string };

export interface AccuracyRequest {
  data: ChoiceDataSource;
  /** The first N items (default all). */
  maxItems?: number;
  /** Which model answers: the loaded one (default), the last pruning run's, or the last fine-tuning run's. */
  which?: 'loaded' | 'pruned' | 'finetuned';
}

export type AccuracyProgress = ChoiceProgress;

export interface AccuracyResult extends Omit<ChoiceResult, 'scores'> {
  which: 'loaded' | 'pruned' | 'finetuned';
  backend: string;
  /** Per item: the right ending, each ending's log-likelihood, and the two picks. */
  scores: ItemScore[];
}

export interface PerplexityRequest {
  text: TextSource;
  /** Which tokens of the text: 'tail' = its held-out last quarter (evaluation/text-parts); default 'all'. */
  part?: TextPart;
  /** Window length L in tokens (default 256, capped at the model's context). */
  seqLen?: number;
  /** Evaluate only the first N windows. */
  maxWindows?: number;
}

export interface GenerateRequest {
  prompt: string;
  maxNewTokens?: number; // default 40
}

export interface GenerateResult {
  text: string;
  promptTokens: number;
  newTokens: number;
  tokenIds: number[];
  stoppedBy: 'eos' | 'max-new-tokens' | 'context';
  elapsedMs: number;
}

export interface CalibrationRequest {
  text: TextSource;
  /** Which tokens windows are drawn from: 'head' = the first three quarters (the tail is held out); default 'all'. */
  part?: TextPart;
  /** Number of calibration windows (default 64). */
  windows?: number;
  /** Window length in tokens (default 256, capped at the model's context). */
  seqLen?: number;
  /** 'first' = the first N non-overlapping windows; 'random' = seeded random starts. */
  sampling?: 'first' | 'random';
  seed?: number;
}

export interface PruneRequest {
  methodId: string;
  /** Values for the method's declared parameters; missing ones take their defaults. */
  params: Record<string, ParamValue>;
  calibration: CalibrationRequest;
  /** Perplexity before and after on held-out text (same windows both times). Omit to skip. */
  evaluation?: PerplexityRequest;
  /** Prefill and decode speed, dense and pruned, measured in the same run. Omit to skip. */
  speed?: BenchRequest;
  /** Greedy text from the same prompt, dense and pruned, in the same run. Omit to skip. */
  generation?: GenerateRequest;
  /** Zero-shot accuracy, dense and pruned, on the same items. Omit to skip. */
  accuracy?: { data: ChoiceDataSource; maxItems?: number };
}

/**
 * The compression-law experiment (methods.md §7): one structured method at every ratio, each pruned model
 * recovered with every budget, measured, and the law fitted.
 */
export interface LawRequest {
  /** A method with a ratio parameter (block removal, channel removal, …). */
  methodId: string;
  /** Other parameters of the method (its ratio parameter is set per point). */
  params?: Record<string, ParamValue>;
  /** Ratios in [0, 1): the method's ratio parameter (blocks methods: round(r · layers) blocks); 0 = the dense model. */
  ratios: number[];
  /** Recovery budgets in tokens (default [0]); each becomes round(tokens / (batch · seqLen)) LoRA steps. */
  rftTokens?: number[];
  calibration: CalibrationRequest;
  /** Test loss text and windows (the same windows for every point). */
  text: TextSource;
  seqLen?: number;
  maxWindows?: number;
  /** Recovery fine-tuning text (default the calibration text), batch and window (defaults 8 × 128). */
  recovery?: { text?: TextSource; batch?: number; seqLen?: number };
  accuracy?: { data: ChoiceDataSource; maxItems?: number };
  /** Decode and prefill speed of each pruned model against the dense one, alternating. */
  speed?: BenchRequest;
  /** Loss the critical ratio is read at (largest compression whose predicted loss stays at or below it). */
  lossThreshold?: number;
}

export interface LawPointResult {
  /** The ratio asked for. */
  ratio: number;
  /** Parameters removed, 1 − after / before: the law's r. */
  compression: number;
  /** Recovery tokens trained (steps × batch × seqLen); the law's D is this / 1e6. */
  rftTokens: number;
  recoverySteps: number;
  /** Mean NLL on the test windows (nats per token), and its exp. */
  loss: number;
  ppl: number;
  accuracy: AccuracySummary | null;
  parametersAfter: number;
  removedBlocks: number[];
  decodeTokensPerSDense: number | null;
  decodeTokensPerS: number | null;
  prefillMsDense: number | null;
  prefillMs: number | null;
  elapsedMs: number;
}

export interface LawProgress {
  pointsDone: number;
  points: number;
  fraction: number;
  message: string;
  /** The point just measured. */
  point?: LawPointResult;
}

export interface LawResult {
  methodId: string;
  dense: { loss: number; ppl: number; accuracy: AccuracySummary | null };
  points: LawPointResult[];
  /** The law fitted to test loss (null with fewer than 2 points). */
  loss: LawReport | null;
  /** The law fitted to acc_norm, when accuracy was measured. */
  accuracy: LawReport | null;
  lossThreshold: number | null;
  /** Per recovery budget, the critical compression at lossThreshold (no-intercept fit); null without a threshold. */
  critical: { rftTokens: number; compression: number | null }[] | null;
  /** Stopped after some points (they are kept and fitted). */
  stoppedEarly: boolean;
  elapsedMs: number;
  backend: string;
}

/** What a run keeps of an accuracy measurement (no per-item scores). */
export type AccuracySummary = ChoiceSummary;

export interface PruneProgress {
  phase: 'calibration-data' | 'planning' | 'applying' | 'evaluating-dense' | 'evaluating-pruned' | 'accuracy-dense' | 'accuracy-pruned' | 'speed' | 'generating';
  /** 0..1 over the whole job. */
  fraction: number;
  message: string;
  /** The newest trace entry (live SLEB candidates, NeuroAL grid points, layer done). */
  trace?: TraceEntry;
}

export interface LayerSparsity {
  block: number;
  /** Weight name in the pruned model. */
  name: string;
  sparsity: number;
}

/** A prune run: what its model card prints (ModelCardRun) plus the per-layer figures, trace and stats. */
export interface PruneResult extends ModelCardRun {
  layerSparsity: LayerSparsity[];
  /** Per block of the pruned model. */
  blockSparsity: number[];
  trace: TraceEntry[];
  stats: PlanStats;
  elapsedMs: number;
  /**
   * Whether the pruned model can be exported in each format (a config.json has one size for every
   * block), known before export so the UI can disable a format; reason = why not, else null.
   * Always set by Lab.prune; optional because results saved before it existed (stored runs) lack it.
   */
  exportable?: { safetensors: boolean; transformersJs: boolean; reason: string | null };
  /** Greedy text, dense and pruned, from request.generation's prompt (null when not asked). */
  generation?: { prompt: string; dense: GenerateResult; pruned: GenerateResult } | null;
  /** Zero-shot accuracy, dense and pruned, on request.accuracy's items (null when not asked; absent in older results). */
  accuracyBefore?: AccuracySummary | null;
  accuracyAfter?: AccuracySummary | null;
  /**
   * The run's plan as the lab stored it (lab/plan-storage): export the run again later, also after a
   * reload, with ExportRequest { which: 'stored', planId }. planId null = not stored (reason says why).
   */
  storedPlan?: { planId: string | null; bytes: number; reason: string | null };
}

/** Recovery fine-tuning (Lab.finetune): LoRA adapters, or full fine-tuning of the block weights. */
export interface FinetuneRequest {
  /** 'pruned': the last pruning run's model (default when there is one); 'loaded': the model as loaded. */
  which?: 'pruned' | 'loaded';
  /** Training text; its last quarter is held out for perplexity before and after (3:1, as DReSS's best split). */
  text: TextSource;
  steps: number;
  /** Windows per micro-batch (default 8) and their length in tokens (default 128, at most the context). */
  batch?: number;
  seqLen?: number;
  /** Micro-batches accumulated per step (default 1). */
  microBatches?: number;
  /** Peak learning rate (default 2e-3 for LoRA, 2e-4 for full fine-tuning). */
  lr?: number;
  /** Linear warm-up steps (default 10% of the steps), then cosine decay. */
  warmupSteps?: number;
  /** LoRA adapters on every block linear (default rank 8, alpha 16); null = full fine-tuning of every block weight. */
  lora?: { rank: number; alpha: number } | null;
  /**
   * Also train the token embedding (and an untied output head) in full (default false: frozen, as PEFT
   * does). Its gradient is a scatter-add (ScatterND); on WebGPU it may run slower than the rest.
   */
  trainEmbeddings?: boolean;
  /** Held-out windows for perplexity before and after (default 16; 0 = none). */
  evalWindows?: number;
  seed?: number;
}

export interface FinetuneProgress {
  phase: 'evaluating-before' | 'training' | 'evaluating-after';
  /** 0..1 over the whole job. */
  fraction: number;
  message: string;
  /** The newest step's figures while training. */
  step?: FinetuneStep;
}

export interface FinetuneStep {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerS: number;
}

export interface FinetuneResult {
  which: 'pruned' | 'loaded';
  mode: 'lora' | 'full';
  lora: { rank: number; alpha: number; masked: boolean } | null;
  /** The embeddings (and an untied head) were trained in full too. */
  trainEmbeddings: boolean;
  /** Values trained (adapter entries for LoRA, plus the embeddings when trained). */
  trainedParameters: number;
  steps: number;
  /** Steps asked for; more than `steps` when the run was stopped early (cancel keeps the last good weights). */
  stepsRequested: number;
  stoppedEarly: boolean;
  batch: number;
  seqLen: number;
  microBatches: number;
  trace: FinetuneStep[];
  /** Perplexity on the held-out quarter of the text, before and after (null when evalWindows is 0). */
  pplBefore: PerplexityResult | null;
  pplAfter: PerplexityResult | null;
  textName: string;
  trainTokens: number;
  heldOutTokens: number;
  elapsedMs: number;
  backend: string;
  /** Mean training throughput over the steps (tokens through forward + backward + AdamW per second). */
  tokensPerS: number;
}

export interface ExportedFile {
  /** Relative path in the exported folder, e.g. 'model.safetensors'. */
  path: string;
  blob: Blob;
}

export interface ExportRequest {
  /**
   * 'pruned' = the last pruning run's model; 'loaded' = the model as loaded; 'finetuned' = the last fine-tuning
   * run's; 'stored' = any stored run's (planId): its plan re-applied to the loaded weights, which must be the ones it was made on.
   */
  which: 'pruned' | 'loaded' | 'finetuned' | 'stored';
  /** With which 'stored': PruneResult.storedPlan.planId. */
  planId?: string;
  /**
   * 'safetensors' = a Hugging Face folder (config.json, tokenizer files, model.safetensors);
   * 'transformers.js' = config, tokenizer files and onnx/model{,_fp16,_q4}.onnx;
   * 'both' = one folder with both.
   */
  format: 'safetensors' | 'transformers.js' | 'both';
  /** ONNX variants for 'transformers.js' and 'both' (default all three). */
  onnxDtypes?: ('fp32' | 'fp16' | 'q4')[];
  /** Safetensors shards past this many tensor bytes: model-0000i-of-0000N + index.json (default 2e9). */
  maxShardBytes?: number;
}

/**
 * "Benchmark this model on my GPU" (Lab.benchmarkGpu): prefill and decode (runBenchmark), decode ms/token against
 * context length (evaluation/context-sweep), the adapter's read bandwidth and each decode figure's bound.
 */
export interface GpuBenchRequest {
  /** The model as loaded (default) or the last pruning run's. */
  which?: 'loaded' | 'pruned';
  /** Prefill and decode: P prompt tokens, then G timed steps (defaults 128 and 64); G is also the sweep's. */
  promptTokens?: number;
  genTokens?: number;
  /** Timed runs per figure (default 3) after warmupRuns (default 1). */
  runs?: number;
  warmupRuns?: number;
  /** Decode contexts; default `points` (10) spread geometrically from 16 to `upToTokens` (default 4096, at most the model's limit − G). */
  contexts?: number[];
  upToTokens?: number;
  points?: number;
}

export interface GpuBenchProgress {
  phase: 'bandwidth' | 'prefill-decode' | 'sweep';
  /** 0..1 over the whole job. */
  fraction: number;
  message: string;
  /** Sweep: point i (1-based) of n. */
  point?: number;
  points?: number;
  contextTokens?: number;
}

/** One decode figure with its physical bound (null without a bandwidth: wasm). */
export interface DecodeFigure {
  contextTokens: number;
  msPerToken: Stat;
  tokensPerS: Stat;
  bound: DecodeBound | null;
}

export interface GpuBenchResult {
  which: 'loaded' | 'pruned';
  modelName: string;
  /** ModelSummary.weightsHash of the loaded (dense) model, also when which = 'pruned'. */
  weightsHash: string;
  parameters: number;
  layers: number;
  maxPositionEmbeddings: number;
  backend: string;
  precision: 'fp32' | 'fp16';
  adapter: { vendor: string; architecture: string; description: string } | null;
  isSoftwareAdapter: boolean;
  /** navigator.userAgent where the lab runs (the worker), null in Node without one. */
  userAgent: string | null;
  /** Weights as the runtime holds them (read once per token). */
  weightsBytes: number;
  /** KV cache bytes per cached token: 2 × Σ kvHeads × headDim × element bytes. */
  kvBytesPerToken: number;
  /** Read bandwidth (runtime/bandwidth-probe), WebGPU only; null on wasm and native backends. */
  bandwidth: { gbPerS: Stat; bytesPerBatch: number; batches: number } | null;
  /** Why there is no bandwidth (not WebGPU, or the probe failed); null when measured. */
  bandwidthNote: string | null;
  /** Most GPU buffer bytes alive at once while measuring (WebGPU only), weights included. */
  peakGpuBytes: number | null;
  promptTokens: number;
  genTokens: number;
  runs: number;
  prefillMs: Stat;
  prefillTokensPerS: Stat;
  /** Decode after the prompt (context = promptTokens), with its bound. */
  decode: DecodeFigure;
  /** Decode against context length, ascending, with the bound at each. */
  sweep: (DecodeFigure & Pick<SweepPoint, 'fillMs' | 'chunkTokens'>)[];
  elapsedMs: number;
}

export interface LabApi {
  backendInfo(): Promise<BackendInfo>;
  /** Loads a model from dropped files. On failure the previous model stays loaded. */
  loadModel(files: ModelFileRef[], options?: LoadOptions): Promise<ModelSummary>;
  /** The currently loaded model, or null. */
  modelSummary(): Promise<ModelSummary | null>;
  /**
   * Weight-matrix precision ('auto': fp16 where the device computes it natively). The loaded model's
   * sessions are rebuilt on next use; returns the backend with the precision in effect and why.
   */
  setPrecision(request: PrecisionRequest): Promise<BackendInfo>;
  evaluatePerplexity(request: PerplexityRequest, options?: JobOptions<PerplexityProgress>): Promise<PerplexityResult>;
  /** The compression-law experiment: prune at every ratio, recover with every budget, measure, fit. */
  lawExperiment(request: LawRequest, options?: JobOptions<LawProgress>): Promise<LawResult>;
  /** Zero-shot multiple-choice accuracy (acc, acc_norm) of the loaded, pruned or fine-tuned model. */
  evaluateAccuracy(request: AccuracyRequest, options?: JobOptions<AccuracyProgress>): Promise<AccuracyResult>;
  benchmark(request: BenchRequest, options?: JobOptions<BenchProgress>): Promise<BenchResult>;
  /** Prefill, decode, decode against context, the adapter's read bandwidth and each decode figure's bound (see GpuBenchRequest). */
  benchmarkGpu(request: GpuBenchRequest, options?: JobOptions<GpuBenchProgress>): Promise<GpuBenchResult>;
  generate(request: GenerateRequest, options?: JobOptions<GenerateProgress>): Promise<GenerateResult>;
  /** The pruning methods with their declared parameters. */
  methods(): Promise<MethodInfo[]>;
  /**
   * Plans and applies a pruning method to the loaded model. The loaded model stays as it was;
   * the pruned model is kept as the lab's "pruned" model (for export) until the next run.
   */
  prune(request: PruneRequest, options?: JobOptions<PruneProgress>): Promise<PruneResult>;
  /**
   * Recovery fine-tuning of the pruned (or loaded) model; the result is kept as the lab's "finetuned"
   * model (for export). Cancelling after a step keeps the weights of the last finished step.
   */
  finetune(request: FinetuneRequest, options?: JobOptions<FinetuneProgress>): Promise<FinetuneResult>;
  /** A Hugging Face folder (config.json, tokenizer files, model.safetensors) of a model. */
  exportModel(request: ExportRequest): Promise<ExportedFile[]>;
  /** Forgets a stored plan (its run was deleted); an unknown id is not an error. */
  deletePlan(planId: string): Promise<void>;
}

/** Messages between LabClient and the worker. */
export type WorkerRequest =
  /** `settings`: a job's plain-data options (e.g. LoadOptions.allowMismatch), merged into its JobOptions in the worker. */
  | { type: 'call'; id: number; method: keyof LabApi; args: unknown[]; settings?: Record<string, unknown> }
  | { type: 'cancel'; id: number };

export type WorkerResponse =
  | { type: 'progress'; id: number; progress: unknown }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: LabErrorData };
