// Know before you run: the memory a job needs (weights, KV cache, activations) from the model's shape
// numbers alone, and the check against what the runtime allows (./memory-limits.ts). Pure: no
// onnxruntime import, no platform API; the lab calls it before any session of a job is created, so a
// job that cannot fit is refused up front (LabError 'insufficient-memory') instead of failing half-way.
//
// The figures are estimates of the peak a job holds, on the conservative side:
// - weights: every element at the precision the runtime holds it (fp32 today), times the sessions that
//   hold a copy (each onnxruntime session has its own), plus one block's weights fed per calibration run;
// - KV cache: layers × 2 × kvHeads × headDim × tokens × batch × bytes, twice (the past fed to a step and
//   the present it returns are both alive during the step);
// - activations (fp32) of the largest run: logits rows × tokens × vocab (×2 with the NLL graph's
//   log-softmax), attention scores and probabilities rows × heads × T × S (×2), FFN intermediates
//   rows × T × FFN (×3 llama, ×2 gpt2), q/k/v, four hidden-size copies of the stream; for calibration
//   also the hidden states of all windows (in and out) and, for 'gram' statistics (SparseGPT), every
//   input group's d_in² Gram matrix (fp32 output + float64 accumulator) and the solver's float64 copies
//   of the largest one. All are summed, although onnxruntime frees some before others are made.

import { LabError } from '../errors';
import { parameterCount, type ModelSpec } from '../model/model-spec';
import type { MemoryLimits } from './memory-limits';

export type WeightPrecision = 'fp32' | 'fp16';
export const BYTES_PER_WEIGHT: Record<WeightPrecision, number> = { fp32: 4, fp16: 2 };

const F32 = 4;
const F64 = 8;
/** Copies of the residual stream [rows, T, hidden] alive in a block (input, normed, attention out, output). */
const HIDDEN_COPIES = 4;
/** float64 n×n arrays the SparseGPT solver holds at once for its largest input (H copy, L, L⁻¹, H⁻¹, its factor, U). */
const SOLVER_COPIES = 6;
/** Tokens per calibration run (runtime/calibration-runner.ts batches windows by these rules). */
export const CALIBRATION_BATCH_TOKENS = 4096;
/** Cap on attention scores [windows, heads, T, T] per calibration run, in float32 values (256 MiB). */
export const CALIBRATION_MAX_SCORES = 64 * 1024 * 1024;
/**
 * Cap on logits [windows, T, vocab] per gated-NLL run (64 MiB; the log-softmax doubles it): with a
 * 152k vocabulary one 128-token window is 78 MB, so SLEB scores window by window there.
 */
export const CALIBRATION_MAX_LOGITS = 16 * 1024 * 1024;

/** The shape numbers the estimate needs (see memoryShapeOf). */
export interface MemoryShape {
  family: 'llama' | 'gpt2';
  hidden: number;
  vocab: number;
  tied: boolean;
  maxPositions: number;
  layers: { numHeads: number; numKvHeads: number; headDim: number; intermediateSize: number }[];
  /** Every weight element, tied embeddings counted once (norms and biases included). */
  parameters: number;
}

export function memoryShapeOf(spec: ModelSpec): MemoryShape {
  const { config } = spec;
  return {
    family: spec.family,
    hidden: config.hiddenSize,
    vocab: config.vocabSize,
    tied: config.tieWordEmbeddings,
    maxPositions: config.maxPositionEmbeddings,
    layers: spec.layers.map(({ numHeads, numKvHeads, headDim, intermediateSize }) => ({ numHeads, numKvHeads, headDim, intermediateSize })),
    parameters: parameterCount(spec),
  };
}

export type StatsKind = 'none' | 'norms' | 'gram';

/**
 * A job as far as memory goes. `sessions`: copies of the model's weights held while it runs (each
 * onnxruntime session holds its own; the caller counts the engines' sessions and the job's), default 1.
 * `splitWeights`: weights larger than one binding are split (engines with WebGPU device weights,
 * graph/split-weights), so the largest tensor that must fit one binding is an activation.
 */
export type MemoryJob =
  /** Batched NLL windows (Engine.scoreWindows): `batchWindows` per run, `windows` in all. */
  | { kind: 'perplexity'; seqLen: number; windows: number; batchWindows: number; sessions?: number; splitWeights?: boolean }
  /**
   * Prefill of `promptTokens` then KV-cache steps (generate, bench). `pastTokens` (default 0): tokens already
   * cached when the prompt runs (a cache filled in chunks: the chunk's attention spans past + prompt keys).
   */
  | { kind: 'decode'; promptTokens: number; newTokens: number; pastTokens?: number; sessions?: number; splitWeights?: boolean }
  /**
   * Calibration runs (runtime/calibration-runner.ts): 'blocks' = sequential block runs with statistics
   * (Wanda, SparseGPT, OWL, NeuroAL), 'gated-nll' = full model with logits (SLEB), 'block-influence' =
   * window batches through every block (ShortGPT).
   */
  | { kind: 'calibration'; pass: 'blocks' | 'gated-nll' | 'block-influence'; seqLen: number; windows: number; stats?: StatsKind; maxBatchTokens?: number; sessions?: number }
  /**
   * Training steps (runtime/trainer.ts): `batch` windows of `seqLen` per gradient run, `trainableParams`
   * trained (all weights' values, their AdamW moments and gradient sums live at once). `stateOnDevice`:
   * WebGPU's AdamW graph returns a new state beside the old; otherwise it is updated in place.
   */
  | { kind: 'train'; batch: number; seqLen: number; trainableParams: number; stateOnDevice: boolean }
  /** Export files built in JS memory (no session); onnx-* also build the graph (transient weight copies). */
  | { kind: 'export'; outputs: ('safetensors' | 'onnx-fp32' | 'onnx-fp16' | 'onnx-q4')[] };

export interface MemoryEstimate {
  weightsBytes: number;
  kvCacheBytes: number;
  activationBytes: number;
  /** The largest single tensor (a WebGPU buffer binding holds one). */
  largestTensorBytes: number;
  /** What that tensor is, e.g. 'logits [8, 256, 512] fp32'. */
  largestTensor: string;
  totalBytes: number;
  precision: WeightPrecision;
  sessions: number;
  /** False for export: its buffers are JS memory, not runtime/device buffers. */
  onDevice: boolean;
  /** The rows × tokens of the largest run (for the message), e.g. '8 windows × 256 tokens'. */
  batch: string;
}

interface Tensor {
  name: string;
  bytes: number;
}

const largest = (tensors: Tensor[]): Tensor => tensors.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: 'none', bytes: 0 });

function maxLayer(shape: MemoryShape) {
  const max = (f: (l: MemoryShape['layers'][number]) => number) => Math.max(0, ...shape.layers.map(f));
  return { heads: max((l) => l.numHeads), kvHeads: max((l) => l.numKvHeads), headDim: max((l) => l.headDim), ffn: max((l) => l.intermediateSize) };
}

/** Weight elements of the largest block's linear layers (what one calibration run feeds). */
function blockWeightElements(shape: MemoryShape): number {
  const d = shape.hidden;
  const ffnMatrices = shape.family === 'llama' ? 3 : 2;
  return Math.max(0, ...shape.layers.map((l) => 2 * d * l.numHeads * l.headDim + 2 * d * l.numKvHeads * l.headDim + ffnMatrices * d * l.intermediateSize));
}

/** The largest weight tensor: the embedding table (and lm_head) or an FFN matrix. */
function largestWeight(shape: MemoryShape, bytes: number): Tensor {
  const { ffn } = maxLayer(shape);
  const embed = { name: `embedding [${shape.vocab}, ${shape.hidden}]`, bytes: shape.vocab * shape.hidden * bytes };
  const ffnMatrix = { name: `FFN weight [${ffn}, ${shape.hidden}]`, bytes: ffn * shape.hidden * bytes };
  return largest([embed, ffnMatrix]);
}

/** Activations of one forward run of `rows` sequences of `tokens` queries over `context` keys. */
function forwardActivations(shape: MemoryShape, rows: number, tokens: number, context: number, head: { tokens: number; logSoftmax: boolean }): { bytes: number; tensors: Tensor[] } {
  const { heads, kvHeads, headDim, ffn } = maxLayer(shape);
  const d = shape.hidden;
  const stream = { name: `hidden [${rows}, ${tokens}, ${d}] fp32`, bytes: rows * tokens * d * F32 };
  const scores = { name: `attention scores [${rows}, ${heads}, ${tokens}, ${context}] fp32`, bytes: rows * heads * tokens * context * F32 };
  const ffnOut = { name: `FFN intermediate [${rows}, ${tokens}, ${ffn}] fp32`, bytes: rows * tokens * ffn * F32 };
  const logits = { name: `logits [${rows}, ${head.tokens}, ${shape.vocab}] fp32`, bytes: rows * head.tokens * shape.vocab * F32 };
  const qkv = rows * tokens * (heads + 2 * kvHeads) * headDim * F32;
  const bytes = HIDDEN_COPIES * stream.bytes + qkv + 2 * scores.bytes + (shape.family === 'llama' ? 3 : 2) * ffnOut.bytes + (head.logSoftmax ? 2 : 1) * logits.bytes;
  return { bytes, tensors: [stream, scores, ffnOut, logits] };
}

/** Windows per calibration run (runtime/calibration-runner.ts uses this). */
export function calibrationWindowsPerRun(shape: MemoryShape, tokens: number, withLogits: boolean, maxBatchTokens = CALIBRATION_BATCH_TOKENS): number {
  const { heads } = maxLayer(shape);
  let per = Math.floor(maxBatchTokens / tokens);
  per = Math.min(per, Math.floor(CALIBRATION_MAX_SCORES / (heads * tokens * tokens)));
  if (withLogits) per = Math.min(per, Math.floor(CALIBRATION_MAX_LOGITS / (tokens * shape.vocab)));
  return Math.max(1, per);
}

/** Input groups of a block's linear layers (q/k/v, o, gate/up or fc, down or proj) and their d_in. */
function statGroupChannels(shape: MemoryShape): number[] {
  const { heads, headDim, ffn } = maxLayer(shape);
  return [shape.hidden, heads * headDim, shape.hidden, ffn];
}

/** Bytes of a KV cache (key and value, every layer) of `tokens` × `batch` at `bytes` per element (runtime/kv-cache sizes its buffers with it). */
export function kvCacheBytes(layers: readonly { numKvHeads: number; headDim: number }[], tokens: number, batch = 1, bytes = F32): number {
  return layers.reduce((sum, l) => sum + 2 * l.numKvHeads * l.headDim * tokens * batch * bytes, 0);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function estimateJobMemory(shape: MemoryShape, job: MemoryJob, precision: WeightPrecision = 'fp32'): MemoryEstimate {
  const bytes = BYTES_PER_WEIGHT[precision];
  const model = shape.parameters * bytes;
  const weightTensor = 'splitWeights' in job && job.splitWeights ? [] : [largestWeight(shape, bytes)];
  const make = (sessions: number, weightsBytes: number, kv: number, activations: number, tensors: Tensor[], batch: string, onDevice = true): MemoryEstimate => {
    const big = largest([...weightTensor, ...tensors]);
    return {
      weightsBytes,
      kvCacheBytes: kv,
      activationBytes: activations,
      largestTensorBytes: big.bytes,
      largestTensor: big.name,
      totalBytes: weightsBytes + kv + activations,
      precision,
      sessions,
      onDevice,
      batch,
    };
  };
  switch (job.kind) {
    case 'perplexity': {
      const sessions = job.sessions ?? 1;
      const rows = Math.max(0, Math.min(job.batchWindows, job.windows));
      const T = job.seqLen;
      const a = forwardActivations(shape, rows, T, T, { tokens: T, logSoftmax: true });
      return make(sessions, sessions * model, 0, a.bytes, a.tensors, `${plural(rows, 'window')} × ${T} tokens`);
    }
    case 'decode': {
      const sessions = job.sessions ?? 1;
      const P = job.promptTokens;
      const past = job.pastTokens ?? 0;
      const tokens = Math.min(past + P + job.newTokens, shape.maxPositions);
      const kv = 2 * kvCacheBytes(shape.layers, tokens); // the cache is float32 at every weight precision
      const a = forwardActivations(shape, 1, P, Math.min(past + P, shape.maxPositions), { tokens: 1, logSoftmax: false });
      const { kvHeads, headDim } = maxLayer(shape);
      const present = { name: `KV cache [1, ${kvHeads}, ${tokens}, ${headDim}] per layer`, bytes: kvHeads * tokens * headDim * F32 };
      return make(sessions, sessions * model, kv, a.bytes, [...a.tensors, present], `${past > 0 ? `${past} cached + ` : ''}prompt ${P} + ${job.newTokens} new tokens`);
    }
    case 'train': {
      // Per trainable value, fp32: the weight, m and v (×2 on the device while the AdamW graph swaps them)
      // and the gradient sum fed and returned: 8 copies; in place on the CPU backends, the weight, m, v,
      // the session's gradient and its copy in JS: 5. The backward keeps every layer's forward
      // activations (the logits three times: values, log-softmax, their gradient).
      const state = job.trainableParams * F32 * (job.stateOnDevice ? 8 : 5);
      const perLayer = forwardActivations({ ...shape, vocab: 0 }, job.batch, job.seqLen, job.seqLen, { tokens: job.seqLen, logSoftmax: false });
      const logits = { name: `logits [${job.batch}, ${job.seqLen}, ${shape.vocab}] fp32`, bytes: job.batch * job.seqLen * shape.vocab * F32 };
      const activations = shape.layers.length * perLayer.bytes + 3 * logits.bytes;
      return make(1, model + state, 0, activations, [...perLayer.tensors.filter((t) => t.bytes > 0), logits], `${plural(job.batch, 'window')} × ${job.seqLen} tokens, ${job.trainableParams} trained values`);
    }
    case 'calibration': {
      const sessions = job.sessions ?? 1;
      const T = job.seqLen;
      const N = job.windows;
      const d = shape.hidden;
      if (job.pass === 'gated-nll') {
        const rows = Math.min(N, calibrationWindowsPerRun(shape, T, true, job.maxBatchTokens));
        const a = forwardActivations(shape, rows, T, T, { tokens: T, logSoftmax: true });
        return make(sessions, sessions * model, 0, a.bytes, a.tensors, `${plural(rows, 'window')} × ${T} tokens`);
      }
      const rows = Math.min(N, calibrationWindowsPerRun(shape, T, false, job.maxBatchTokens));
      const a = forwardActivations(shape, rows, T, T, { tokens: 0, logSoftmax: false });
      const tensors = a.tensors.filter((t) => !t.name.startsWith('logits'));
      // ShortGPT streams one batch through all blocks; sequential passes hold every window's stream.
      const streamRows = job.pass === 'block-influence' ? rows : N;
      let activations = a.bytes + 2 * streamRows * T * d * F32;
      const stats = job.stats ?? 'none';
      const channels = statGroupChannels(shape);
      if (stats === 'norms') activations += channels.reduce((s, c) => s + c * (F32 + F64), 0);
      if (stats === 'gram') {
        const biggest = Math.max(...channels);
        activations += channels.reduce((s, c) => s + c * c * (F32 + F64), 0) + SOLVER_COPIES * biggest * biggest * F64;
        tensors.push({ name: `Gram matrix [${biggest}, ${biggest}] fp32`, bytes: biggest * biggest * F32 });
      }
      const weights = sessions * model + blockWeightElements(shape) * bytes;
      return make(sessions, weights, 0, activations, tensors, `${plural(rows, 'window')} × ${T} tokens per run, ${plural(N, 'window')} in all`);
    }
    case 'export': {
      const perOutput = { safetensors: 4, 'onnx-fp32': 4, 'onnx-fp16': 2, 'onnx-q4': 1 } as const;
      const outputs = [...new Set(job.outputs)];
      let activations = outputs.reduce((s, o) => s + shape.parameters * perOutput[o], 0);
      // Building an ONNX graph makes transposed/fused fp32 copies of the weights (bench/README: ~2×).
      if (outputs.some((o) => o.startsWith('onnx'))) activations += 2 * shape.parameters * F32;
      return make(0, 0, 0, activations, [], outputs.join(' + '), false);
    }
  }
}

/** The limit an estimate is over, or null when it fits. */
export interface LimitExceeded {
  /** 'total', or the WebGPU limit a single tensor is over. */
  limit: 'total' | 'maxStorageBufferBindingSize' | 'maxBufferSize';
  limitBytes: number;
  neededBytes: number;
}

export function exceededLimit(estimate: MemoryEstimate, limits: MemoryLimits): LimitExceeded | null {
  if (estimate.onDevice && limits.maxBindingBytes !== undefined && estimate.largestTensorBytes > limits.maxBindingBytes)
    return { limit: 'maxStorageBufferBindingSize', limitBytes: limits.maxBindingBytes, neededBytes: estimate.largestTensorBytes };
  if (estimate.onDevice && limits.maxBufferBytes !== undefined && estimate.largestTensorBytes > limits.maxBufferBytes)
    return { limit: 'maxBufferSize', limitBytes: limits.maxBufferBytes, neededBytes: estimate.largestTensorBytes };
  if (limits.totalBytes !== null && estimate.totalBytes > limits.totalBytes) return { limit: 'total', limitBytes: limits.totalBytes, neededBytes: estimate.totalBytes };
  return null;
}

/** Bytes as MB (below 1 GB) or GB, decimal units. */
export function formatMemory(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e7) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

export interface FitContext {
  /** What the job is, for the message: 'perplexity', 'prune (calibration)', … */
  label: string;
  /** Ways out, computed only when the job does not fit (see suggestFixes). */
  suggestions?: () => string[];
}

/** Throws LabError('insufficient-memory') with the figures when the job does not fit the limits. */
export function checkJobFits(estimate: MemoryEstimate, limits: MemoryLimits, context: FitContext = { label: 'this job' }): void {
  const over = exceededLimit(estimate, limits);
  if (!over) return;
  const f = formatMemory;
  const copies = estimate.sessions > 1 ? `, ${estimate.sessions} session copies` : '';
  const needed = `weights ${f(estimate.weightsBytes)} (${estimate.precision}${copies}) + KV ${f(estimate.kvCacheBytes)} + activations ${f(estimate.activationBytes)} (${estimate.batch}) = ${f(estimate.totalBytes)}`;
  const head =
    over.limit === 'total'
      ? `Not enough memory for ${context.label}: needed: ${needed}; allowed: ${f(over.limitBytes)} by ${limits.source}.`
      : `Not enough memory for ${context.label}: its largest tensor, ${estimate.largestTensor}, is ${f(over.neededBytes)}; allowed: ${f(over.limitBytes)} by this WebGPU adapter's ${over.limit} (a tensor cannot be split across buffers). Needed in all: ${needed}.`;
  const suggestions = context.suggestions?.() ?? [];
  const message = suggestions.length ? `${head} Try ${suggestions.join('; or ')}.` : head;
  throw new LabError('insufficient-memory', message, {
    job: context.label,
    weightsBytes: estimate.weightsBytes,
    kvCacheBytes: estimate.kvCacheBytes,
    activationBytes: estimate.activationBytes,
    totalBytes: estimate.totalBytes,
    largestTensorBytes: estimate.largestTensorBytes,
    largestTensor: estimate.largestTensor,
    precision: estimate.precision,
    sessions: estimate.sessions,
    limit: over.limit,
    limitBytes: over.limitBytes,
    neededBytes: over.neededBytes,
    limitKind: limits.kind,
    limitSource: limits.source,
    suggestions,
  });
}

/** The largest integer in [lo, hi] with ok(n), or null; ok must be monotone (true up to some n). */
function largestFitting(lo: number, hi: number, ok: (n: number) => boolean): number | null {
  if (hi < lo || !ok(lo)) return null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The first of seqLen/2, /4, … (down to 64 tokens: shorter windows say little) with ok(L), or null. */
function halvedFitting(seqLen: number, ok: (L: number) => boolean): number | null {
  for (let L = Math.floor(seqLen / 2); L >= 64; L = Math.floor(L / 2)) if (ok(L)) return L;
  return null;
}

/**
 * Changes that would make the job fit, each checked with the same estimate: fp16 weights, fewer
 * windows / a smaller batch, shorter windows, fewer tokens; and running the CLI on a GPU machine.
 */
export function suggestFixes(shape: MemoryShape, job: MemoryJob, precision: WeightPrecision, limits: MemoryLimits): string[] {
  const fits = (j: MemoryJob, p: WeightPrecision = precision) => exceededLimit(estimateJobMemory(shape, j, p), limits) === null;
  const out: string[] = [];
  if (precision === 'fp32' && job.kind !== 'export' && fits(job, 'fp16'))
    out.push(`fp16 weights (${formatMemory(estimateJobMemory(shape, job, 'fp16').totalBytes)}), once the runtime can hold them`);
  if (job.kind === 'perplexity') {
    const rows = Math.min(job.batchWindows, job.windows);
    const n = largestFitting(1, rows - 1, (w) => fits({ ...job, windows: w }));
    if (n !== null) out.push(`fewer windows: at most ${n} (maxWindows ${n}, CLI --max-windows ${n})`);
    const tokensPerBatch = job.batchWindows * job.seqLen;
    const L = halvedFitting(job.seqLen, (l) => fits({ ...job, seqLen: l, batchWindows: Math.max(1, Math.floor(tokensPerBatch / l)) }));
    if (L !== null) out.push(`shorter windows (seqLen ${L}, CLI --seq-len ${L})`);
  } else if (job.kind === 'decode') {
    const g = largestFitting(1, job.newTokens - 1, (n) => fits({ ...job, newTokens: n }));
    if (g !== null) out.push(`fewer new tokens (${g})`);
    else {
      const p = largestFitting(1, job.promptTokens - 1, (n) => fits({ ...job, promptTokens: n, newTokens: 1 }));
      if (p !== null) out.push(`a shorter prompt (${p} tokens) and fewer new tokens`);
    }
  } else if (job.kind === 'calibration') {
    const n = largestFitting(1, job.windows - 1, (w) => fits({ ...job, windows: w }));
    if (n !== null) out.push(`fewer calibration windows (${n}, CLI --calib-windows ${n})`);
    const L = halvedFitting(job.seqLen, (l) => fits({ ...job, seqLen: l }));
    if (L !== null) out.push(`shorter windows (seqLen ${L}, CLI --seq-len ${L})`);
  } else if (job.kind === 'train') {
    const b = largestFitting(1, job.batch - 1, (n) => fits({ ...job, batch: n }));
    if (b !== null) out.push(`a smaller batch (${b} windows; accumulate micro-batches for the same step size)`);
    const L = halvedFitting(job.seqLen, (l) => fits({ ...job, seqLen: l }));
    if (L !== null) out.push(`shorter windows (seqLen ${L})`);
  } else if (job.outputs.length > 1) {
    const one = job.outputs.find((o) => fits({ kind: 'export', outputs: [o] }));
    if (one) out.push(`one format at a time (${one} alone fits)`);
  }
  if (job.kind === 'export') return out;
  if (limits.kind !== 'native' || limits.backend === 'cpu') out.push('the CLI on a GPU machine with `--backend cuda`');
  else out.push('a machine with more memory');
  return out;
}
