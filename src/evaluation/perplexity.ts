// Perplexity by the papers' protocol: the text is encoded once (the caller passes the ids), cut into
// non-overlapping windows of L tokens (remainder dropped), each window scores its positions 1..L−1,
// ppl = exp(mean NLL over all scored tokens). Needs only a window scorer; no runtime import.

import { LabError, throwIfCancelled } from '../errors';

export interface PerplexityProgress {
  /**
   * 'tokenizing': the text is being tokenized (a long one, in pieces): charsDone of charsTotal, and the
   * window fields are 0 (runningPpl NaN). Absent while windows are scored.
   */
  phase?: 'tokenizing';
  charsDone?: number;
  charsTotal?: number;
  windowsDone: number;
  windows: number;
  tokensScored: number;
  runningNll: number;
  runningPpl: number;
}

export interface PerplexityResult {
  ppl: number;
  nll: number;
  windows: number;
  tokensScored: number;
  seqLen: number;
  /** Windows the text allowed before maxWindows. */
  windowsAvailable: number;
  textTokens: number;
  /**
   * Present (true) when only the text's first tokens were tokenized, as many as maxWindows needed:
   * textTokens and windowsAvailable then count that prefix, not the whole text (which has at least as many).
   */
  tokenizedPrefix?: true;
  textName: string;
  elapsedMs: number;
  /** Tokens scored (positions 1..L−1 of each window) per second of wall time. */
  tokensScoredPerS: number;
  /** Per-window mean NLL, in order. */
  windowNlls: number[];
  backend: string;
}

export interface WindowScorer {
  readonly backend: string;
  /** Mean NLL over positions 1..L−1 of each window. */
  scoreWindows(windows: Int32Array[]): Promise<number[]>;
  windowsPerBatch(windowLength: number): number;
}

export interface PerplexityOptions {
  seqLen: number;
  maxWindows?: number;
  textName?: string;
  /** `ids` are only the text's first tokens (PerplexityResult.tokenizedPrefix). */
  tokenizedPrefix?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: PerplexityProgress) => void;
}

/** Non-overlapping windows of `seqLen` tokens; the remainder is dropped. */
export function cutWindows(ids: ArrayLike<number>, seqLen: number, maxWindows = Infinity): Int32Array[] {
  const available = Math.floor(ids.length / seqLen);
  const n = Math.min(available, maxWindows);
  const all = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  return Array.from({ length: n }, (_, w) => all.subarray(w * seqLen, (w + 1) * seqLen));
}

export async function evaluatePerplexity(scorer: WindowScorer, ids: ArrayLike<number>, options: PerplexityOptions): Promise<PerplexityResult> {
  const { seqLen, signal } = options;
  const textName = options.textName ?? 'text';
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new LabError('bad-argument', `window length must be an integer ≥ 2, got ${seqLen}`);
  if (options.maxWindows !== undefined && !(options.maxWindows >= 1))
    throw new LabError('bad-argument', `maxWindows must be ≥ 1, got ${options.maxWindows}`);
  const windowsAvailable = Math.floor(ids.length / seqLen);
  if (windowsAvailable === 0)
    throw new LabError('bad-text', `${textName}: ${ids.length} tokens is shorter than one window of ${seqLen} tokens`);
  const windows = cutWindows(ids, seqLen, options.maxWindows ?? Infinity);
  const maxBatch = scorer.windowsPerBatch(seqLen);
  const started = performance.now();
  const windowNlls: number[] = [];
  let nllSum = 0;
  let batch = 1;
  for (let start = 0; start < windows.length; ) {
    throwIfCancelled(signal);
    const size = Math.min(batch, windows.length - start);
    const batchStarted = performance.now();
    const means = await scorer.scoreWindows(windows.slice(start, start + size));
    start += size;
    batch = nextBatchSize(batch, maxBatch, performance.now() - batchStarted);
    for (const m of means) {
      if (!Number.isFinite(m)) throw nonFiniteLoss(textName, windowNlls.length, m);
      windowNlls.push(m);
      nllSum += m;
    }
    const runningNll = nllSum / windowNlls.length;
    options.onProgress?.({
      windowsDone: windowNlls.length,
      windows: windows.length,
      tokensScored: windowNlls.length * (seqLen - 1),
      runningNll,
      runningPpl: Math.exp(runningNll),
    });
  }
  throwIfCancelled(signal);
  const elapsedMs = performance.now() - started;
  // Every window scores L−1 tokens, so the mean over tokens is the mean of the window means.
  const nll = nllSum / windowNlls.length;
  const tokensScored = windowNlls.length * (seqLen - 1);
  return {
    ppl: Math.exp(nll),
    nll,
    windows: windowNlls.length,
    tokensScored,
    seqLen,
    windowsAvailable,
    textTokens: ids.length,
    ...(options.tokenizedPrefix ? { tokenizedPrefix: true as const } : {}),
    textName,
    elapsedMs,
    tokensScoredPerS: tokensScored / (elapsedMs / 1000),
    windowNlls,
    backend: scorer.backend,
  };
}

/** A NaN or infinite window loss fails the evaluation (a "ppl": null is a silent wrong answer), naming the likely causes. */
export function nonFiniteLoss(textName: string, window: number, value: number): LabError {
  return new LabError(
    'non-finite',
    `${textName}: window ${window + 1} gave a loss of ${value}: the model's outputs are not finite. Likely causes: NaN or infinite weights, ` +
      'a config value that breaks the computation (rms_norm_eps, rope_theta), or fp16 overflow (try precision fp32)',
    { window, loss: String(value) },
  );
}

/** Target wall time of one run, so progress and cancellation stay live on slow (software) adapters. */
const TARGET_BATCH_MS = 300;

/**
 * Windows per run: start at 1 and double while a run is fast, halve when one is far too slow, within
 * [1, maxBatch]. Powers of two keep the number of distinct input shapes (and WebGPU shader variants) small.
 */
export function nextBatchSize(batch: number, maxBatch: number, lastRunMs: number): number {
  if (lastRunMs < TARGET_BATCH_MS && batch < maxBatch) return Math.min(maxBatch, batch * 2);
  if (lastRunMs > 4 * TARGET_BATCH_MS && batch > 1) return batch / 2;
  return batch;
}
