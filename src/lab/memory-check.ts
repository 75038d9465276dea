// Know before you run, for the Lab: each job (perplexity, bench, generate, prune with its calibration
// and evaluation phases, export) becomes memory estimates (runtime/memory-plan.ts) checked against the
// backend's limits (runtime/memory-limits.ts). lab.ts calls checkLabJob once per job entry point,
// before the job creates any session; a job that cannot fit throws LabError('insufficient-memory')
// and leaves the lab as it was.

import type { ModelSpec } from '../model/model-spec';
import { parameterCount } from '../model/model-spec';
import { methodInfo } from '../pruning/registry';
import { LARGE_MODEL_BYTES, type Engine } from '../runtime/engine';
import {
  checkWebSessionFits,
  exceededWebSessionLimit,
  limitKindOf,
  nativeLimits,
  readWebGpuAdapterLimits,
  tighterTotal,
  wasmLimits,
  webGpuLimits,
  withUserLimit,
  webSessionHeapBytes,
  type MemoryLimits,
  type SystemMemory,
  type WebGpuAdapterLimits,
  type WebSessionNeeds,
} from '../runtime/memory-limits';
import {
  BYTES_PER_WEIGHT,
  checkJobFits,
  estimateJobMemory,
  formatMemory,
  memoryShapeOf,
  suggestFixes,
  type MemoryEstimate,
  type MemoryJob,
  type MemoryShape,
  type StatsKind,
  type WeightPrecision,
} from '../runtime/memory-plan';
import { DEFAULT_NEW_TOKENS } from './generate-text';
import type { BenchRequest, ExportRequest, GenerateRequest, ModelSummary, PruneRequest } from './lab-api';

/**
 * The precision the runtime holds weights at for a backend and compute precision: fp16 graphs hold
 * fp16 weights on WebGPU and cuda; onnxruntime's CPU provider casts them to fp32 at session creation.
 */
export function heldPrecision(backend: string, precision: WeightPrecision = 'fp32'): WeightPrecision {
  return precision === 'fp16' && (backend === 'webgpu' || backend === 'cuda') ? 'fp16' : 'fp32';
}

export interface MemoryCheckOptions {
  /** Lowers the limit (bytes): headroom, or tests (LabOptions.memoryLimitBytes; CLI --memory-limit-gb). */
  memoryLimitBytes?: number;
  /** The machine's memory (Node: os.freemem/totalmem), injected by the caller; bounds native and Node jobs. */
  systemMemory?: () => SystemMemory;
}

export interface MemoryCheckContext {
  spec: ModelSpec;
  engine: Pick<Engine, 'windowsPerBatch' | 'sessionsCreated'>;
  tokenizer: { encode(text: string): number[] };
  /** BackendInfo.backend: 'webgpu', 'wasm', or a native one ('cpu', 'cuda'). */
  backend: string;
  /** BackendInfo.precision (default fp32). */
  precision?: WeightPrecision;
  options: MemoryCheckOptions;
}

export type LabJob =
  | { kind: 'perplexity'; seqLen: number; tokens: number; maxWindows?: number }
  | { kind: 'bench'; request: BenchRequest }
  /** Lab.benchmarkGpu: prefill P + G steps, then the context sweep up to maxContextTokens (cache filled `chunkTokens` at a time). */
  | { kind: 'bench-gpu'; promptTokens: number; genTokens: number; maxContextTokens: number; chunkTokens: number }
  | { kind: 'generate'; request: GenerateRequest }
  | { kind: 'prune'; request: PruneRequest }
  | { kind: 'export'; request: ExportRequest; spec: ModelSpec }
  /** Fine-tuning `spec` (the pruned or loaded model): batch × seqLen per gradient run. */
  | { kind: 'finetune'; spec: ModelSpec; batch: number; seqLen: number; trainableParams: number };

interface Phase {
  label: string;
  job: MemoryJob;
}

/**
 * Copies of the weights an Engine holds: on WebGPU one (device weights shared by its sessions), else
 * one per live session (engine.ts: 1 session above LARGE_MODEL_BYTES of fp32 weights, else all 3 purposes).
 */
export function engineSessionCap(spec: ModelSpec, backend: string): number {
  if (backend === 'webgpu') return 1;
  return parameterCount(spec) * 4 > LARGE_MODEL_BYTES ? 1 : 3;
}

let adapterLimits: Promise<WebGpuAdapterLimits | null> | null = null;

/**
 * The limits for the lab's backend. `heldBytes`: what the lab's live sessions hold already (counted
 * again by the estimate), added back to the machine's free memory.
 */
export async function labMemoryLimits(backend: string, options: MemoryCheckOptions, heldBytes = 0): Promise<MemoryLimits> {
  const kind = limitKindOf(backend);
  const system = options.systemMemory?.();
  let limits: MemoryLimits;
  if (kind === 'webgpu') {
    adapterLimits ??= readWebGpuAdapterLimits();
    limits = webGpuLimits(await adapterLimits);
  } else if (kind === 'wasm') {
    limits = wasmLimits();
    if (system) limits = tighterTotal(limits, nativeLimits(system, heldBytes, backend));
  } else {
    limits = system ? nativeLimits(system, heldBytes, backend) : { kind, totalBytes: null, source: 'the machine (free memory not known)', backend };
  }
  return withUserLimit(limits, options.memoryLimitBytes);
}

/** Export builds files in JS memory: bounded by the machine's free memory where known, and the user's limit. */
function exportLimits(backend: string, options: MemoryCheckOptions): MemoryLimits {
  const system = options.systemMemory?.();
  const base: MemoryLimits = system ? nativeLimits(system, 0, backend) : { kind: limitKindOf(backend), totalBytes: null, source: 'JS memory (not known here)', backend };
  return withUserLimit(base, options.memoryLimitBytes);
}

/** ModelSummary.memory: the weights as the runtime holds them and the limit jobs are checked against. */
export async function modelMemory(spec: ModelSpec, backend: string, options: MemoryCheckOptions, precision: WeightPrecision = 'fp32'): Promise<ModelSummary['memory']> {
  const limits = await labMemoryLimits(backend, options);
  const held = heldPrecision(backend, precision);
  return {
    weightsBytes: parameterCount(spec) * BYTES_PER_WEIGHT[held],
    precision: held,
    sharedOnDevice: backend === 'webgpu',
    limitBytes: limits.totalBytes,
    limitSource: limits.source,
  };
}

const isCount = (n: unknown, min = 1): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min;

/** Calibration pass and statistics of a method (its own validation runs later, in the prune job). */
function calibrationPass(request: PruneRequest): { pass: 'blocks' | 'gated-nll' | 'block-influence'; stats: StatsKind } | null {
  const info = methodInfo().find((m) => m.id === request.methodId);
  if (!info?.needsCalibration) return null;
  if (info.id === 'sleb') return { pass: 'gated-nll', stats: 'none' };
  if (info.id === 'shortgpt') return { pass: 'block-influence', stats: 'none' };
  const baseParam = info.params.find((p) => p.name === 'base');
  const base = baseParam ? String(request.params?.base ?? baseParam.default) : info.id;
  return { pass: 'blocks', stats: base === 'sparsegpt' ? 'gram' : base === 'wanda' ? 'norms' : 'none' };
}

/** The job's phases as memory jobs; a phase with out-of-range arguments is left to the job's own validation. */
function phasesOf(ctx: MemoryCheckContext, job: LabJob): Phase[] {
  const { spec, engine } = ctx;
  const context = spec.config.maxPositionEmbeddings;
  const cap = engineSessionCap(spec, ctx.backend);
  const splitWeights = ctx.backend === 'webgpu'; // engines bind device weights, split to fit a binding
  const perplexity = (label: string, seqLen: number, windows: number, sessions: number): Phase[] =>
    isCount(seqLen, 2) && windows >= 1 ? [{ label, job: { kind: 'perplexity', seqLen, windows, batchWindows: engine.windowsPerBatch(seqLen), sessions, splitWeights } }] : [];
  const decode = (label: string, promptTokens: number, newTokens: number, sessions: number, pastTokens = 0): Phase[] =>
    isCount(promptTokens) && isCount(newTokens) ? [{ label, job: { kind: 'decode', promptTokens: Math.min(promptTokens, context), newTokens, pastTokens, sessions, splitWeights } }] : [];
  const bench = (label: string, r: BenchRequest, sessions: number): Phase[] => {
    const P = r.promptTokens ?? 128;
    const G = r.genTokens ?? 64;
    return P + G <= context ? decode(label, P, G, sessions) : []; // past the context the benchmark refuses by itself
  };
  const generate = (label: string, r: GenerateRequest, sessions: number): Phase[] =>
    typeof r.prompt === 'string' ? decode(label, Math.max(1, ctx.tokenizer.encode(r.prompt).length), r.maxNewTokens ?? DEFAULT_NEW_TOKENS, sessions) : [];

  switch (job.kind) {
    case 'perplexity': {
      const available = isCount(job.seqLen, 2) ? Math.floor(job.tokens / job.seqLen) : 0;
      return perplexity('perplexity', job.seqLen, Math.min(available, job.maxWindows ?? Infinity), cap);
    }
    case 'bench':
      return bench('bench', job.request, cap);
    case 'bench-gpu': {
      const { promptTokens: P, genTokens: G, maxContextTokens: C, chunkTokens: K } = job;
      // The sweep's largest point: its last fill run attends K new tokens to the C − K cached before them (the lab keeps
      // heads × K × C small), then G steps: the cache holds C + G tokens.
      const k = Math.min(K, C);
      const sweep = isCount(C) && isCount(K) && C + G <= context ? decode(`GPU benchmark (decode after ${C} tokens of context)`, k, G, cap, C - k) : [];
      return [...bench('GPU benchmark (prefill and decode)', { promptTokens: P, genTokens: G }, cap), ...sweep];
    }
    case 'generate':
      return generate('generate', job.request, cap);
    case 'prune': {
      const { request } = job;
      const phases: Phase[] = [];
      const calibration = calibrationPass(request);
      const seqLen = Math.min(request.calibration?.seqLen ?? 256, context);
      const windows = request.calibration?.windows ?? 64;
      if (calibration && isCount(seqLen, 2) && isCount(windows)) {
        // The loaded engine keeps its sessions during calibration; SLEB's gated-NLL session holds one more copy.
        const sessions = cap + (calibration.pass === 'gated-nll' ? 1 : 0);
        phases.push({ label: 'prune (calibration)', job: { kind: 'calibration', pass: calibration.pass, stats: calibration.stats, seqLen, windows, sessions } });
      }
      // Dense and pruned engines are both alive from evaluation on (the pruned one at most as large).
      const both = 2 * cap;
      const ev = request.evaluation;
      if (ev) perplexity('prune (evaluation)', Math.min(ev.seqLen ?? 256, context), ev.maxWindows ?? Infinity, both).forEach((p) => phases.push(p));
      // Accuracy scores an item's endings in one run: at most 4 windows of the context (longer items are cut to it).
      if (request.accuracy) perplexity('prune (accuracy)', context, 4, both).forEach((p) => phases.push(p));
      if (request.speed) phases.push(...bench('prune (speed)', request.speed, both));
      if (request.generation) phases.push(...generate('prune (generation)', request.generation, both));
      return phases;
    }
    case 'finetune':
      return [{ label: 'fine-tuning', job: { kind: 'train', batch: job.batch, seqLen: job.seqLen, trainableParams: job.trainableParams, stateOnDevice: ctx.backend === 'webgpu' } }];
    case 'export': {
      const { request } = job;
      const outputs: ('safetensors' | 'onnx-fp32' | 'onnx-fp16' | 'onnx-q4')[] = [];
      if (request.format !== 'transformers.js') outputs.push('safetensors');
      if (request.format !== 'safetensors') for (const d of request.onnxDtypes ?? ['fp32', 'fp16', 'q4']) outputs.push(`onnx-${d}`);
      return [{ label: `export (${request.format})`, job: { kind: 'export', outputs } }];
    }
  }
}

/**
 * What onnxruntime-web's session creation holds for the full graph (weights embedded): the weights at
 * the held precision plus the fp32 RoPE tables (llama: cos and sin, [maxPositions, headDim] each), the
 * largest weight tensor, and `otherSessions` more graphs' weights alive in the same heap (wasm EP).
 */
export function webSessionNeeds(shape: MemoryShape, precision: WeightPrecision, otherSessions = 0): WebSessionNeeds {
  const bytes = BYTES_PER_WEIGHT[precision];
  const headDims = shape.family === 'llama' ? new Set(shape.layers.map((l) => l.headDim)) : new Set<number>();
  const rope = [...headDims].reduce((sum, hd) => sum + 2 * shape.maxPositions * hd * 4, 0);
  const graphBytes = shape.parameters * bytes + rope;
  const ffn = Math.max(0, ...shape.layers.map((l) => l.intermediateSize));
  const embed = shape.vocab * shape.hidden * bytes;
  const [largestTensor, largestTensorBytes] =
    embed >= ffn * shape.hidden * bytes ? [`embedding [${shape.vocab}, ${shape.hidden}]`, embed] : [`FFN weight [${ffn}, ${shape.hidden}]`, ffn * shape.hidden * bytes];
  return { graphBytes, precision, largestTensor, largestTensorBytes, otherSessionsBytes: otherSessions * graphBytes };
}

const cliCommand: Record<LabJob['kind'], string> = { perplexity: 'eval', bench: 'bench', 'bench-gpu': 'bench', generate: 'generate', prune: 'prune', export: 'prune', finetune: 'finetune' };

/** What would let onnxruntime-web's session fit: fp16 weights (WebGPU with shader-f16), or the CLI's native runtime. */
function webSessionSuggestions(shape: MemoryShape, precision: WeightPrecision, otherSessions: number, job: LabJob['kind']): string[] {
  const out: string[] = [];
  if (job !== 'prune')
    out.push('WebGPU (a browser and GPU that have it): the lab then keeps the weights in GPU buffers, outside the wasm heap');
  if (precision === 'fp32') {
    const half = webSessionNeeds(shape, 'fp16', otherSessions);
    if (!exceededWebSessionLimit(half))
      out.push(`fp16 weights: precision fp16 on a WebGPU adapter with 'shader-f16' (a ${formatMemory(half.graphBytes)} protobuf, ${formatMemory(webSessionHeapBytes(half))} of wasm heap)`);
  }
  out.push(
    `the command line, which runs it natively on onnxruntime-node with the weights as external data (no 2 GB protobuf, no wasm heap): \`npm run lab -- ${cliCommand[job]} --model <dir>\``,
  );
  return out;
}

/**
 * Phases whose sessions embed the whole model on WASM (calibration block passes feed one block's
 * weights as inputs). On WebGPU every full-model session binds device weights instead, so none does.
 */
function embedsWholeModel(job: MemoryJob): boolean {
  return job.kind !== 'export' && !(job.kind === 'calibration' && job.pass !== 'gated-nll');
}

/**
 * Estimates every phase of the job and throws LabError('insufficient-memory') for the first that does
 * not fit, with the figures and suggestions. Returns the largest phase's estimate (null: nothing to check).
 * On onnxruntime-web's WASM backend a phase that creates a full-model session must also pass the session
 * creation: its protobuf under 2 GiB and the creation within the 4 GiB wasm32 heap (checkWebSessionFits).
 */
export async function checkLabJob(ctx: MemoryCheckContext, job: LabJob): Promise<MemoryEstimate | null> {
  const spec = job.kind === 'export' || job.kind === 'finetune' ? job.spec : ctx.spec;
  const shape = memoryShapeOf(spec);
  const precision = heldPrecision(ctx.backend, ctx.precision);
  const held = shape.parameters * BYTES_PER_WEIGHT[precision] * Math.min(ctx.engine.sessionsCreated, engineSessionCap(ctx.spec, ctx.backend));
  const limits = job.kind === 'export' ? exportLimits(ctx.backend, ctx.options) : await labMemoryLimits(ctx.backend, ctx.options, held);
  let peak: MemoryEstimate | null = null;
  const kind = limitKindOf(ctx.backend);
  for (const phase of phasesOf(ctx, job)) {
    if (kind === 'wasm' && embedsWholeModel(phase.job)) {
      // The wasm EP keeps every live session's weights in the same heap.
      const others = 'sessions' in phase.job ? Math.max(0, (phase.job.sessions ?? 1) - 1) : 0;
      checkWebSessionFits(webSessionNeeds(shape, precision, others), {
        label: phase.label,
        backend: ctx.backend,
        suggestions: () => webSessionSuggestions(shape, precision, others, job.kind),
      });
    }
    const estimate = estimateJobMemory(shape, phase.job, precision);
    checkJobFits(estimate, limits, { label: phase.label, suggestions: () => suggestFixes(shape, phase.job, precision, limits) });
    if (!peak || estimate.totalBytes > peak.totalBytes) peak = estimate;
  }
  return peak;
}
