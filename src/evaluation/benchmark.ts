// Latency/throughput: prefill ms for P prompt tokens and decode ms/token over G new tokens with the
// KV cache; warm-up runs excluded; median/min/max over R runs. No runtime import (takes a Decoder).

import { LabError, throwIfCancelled } from '../errors';
import { argmax, type Decoder } from './generate';

export interface BenchRequest {
  promptTokens?: number; // default 128
  genTokens?: number; // default 64
  runs?: number; // default 5
  warmupRuns?: number; // default 1
  /** Lab.benchmark: the model as loaded (default) or the last pruning run's. */
  which?: 'loaded' | 'pruned';
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface BenchProgress {
  run: number;
  runs: number;
  phase: 'warmup' | 'prefill' | 'decode';
}

export interface BenchResult {
  promptTokens: number;
  genTokens: number;
  runs: number;
  prefillMs: Stat;
  prefillTokensPerS: Stat;
  decodeMsPerToken: Stat;
  decodeTokensPerS: Stat;
  backend: string;
  adapter: string | null;
  isSoftwareAdapter: boolean;
}

export interface BenchmarkOptions {
  vocabSize: number;
  contextLength: number;
  backend: string;
  adapter?: string | null;
  isSoftwareAdapter?: boolean;
  /** Prompt ids to use (first P are taken); default a fixed pseudo-random sequence. */
  promptIds?: number[];
  signal?: AbortSignal;
  onProgress?: (progress: BenchProgress) => void;
}

export function stat(values: number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/** A deterministic prompt of `n` ids in [3, vocab) (skips the usual special ids 0..2). */
export function syntheticPrompt(n: number, vocabSize: number): number[] {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 3 + (x % Math.max(1, vocabSize - 3));
  });
}

export async function runBenchmark(decoder: Decoder, request: BenchRequest, options: BenchmarkOptions): Promise<BenchResult> {
  const P = request.promptTokens ?? 128;
  const G = request.genTokens ?? 64;
  const runs = request.runs ?? 5;
  const warmupRuns = request.warmupRuns ?? 1;
  if (!(P >= 1 && G >= 1 && runs >= 1 && warmupRuns >= 0)) throw new LabError('bad-argument', 'promptTokens, genTokens and runs must be ≥ 1');
  if (P + G > options.contextLength)
    throw new LabError('bad-argument', `promptTokens + genTokens = ${P + G} exceeds the model's context of ${options.contextLength}`);
  const prompt = options.promptIds ? options.promptIds.slice(0, P) : syntheticPrompt(P, options.vocabSize);
  if (prompt.length < P) throw new LabError('bad-argument', `only ${prompt.length} prompt ids were given for ${P} prompt tokens`);

  const prefillMs: number[] = [];
  const decodeMsPerToken: number[] = [];
  for (let r = 0; r < warmupRuns + runs; r++) {
    const warm = r < warmupRuns;
    const run = warm ? r + 1 : r - warmupRuns + 1;
    throwIfCancelled(options.signal);
    options.onProgress?.({ run, runs: warm ? warmupRuns : runs, phase: warm ? 'warmup' : 'prefill' });
    await decoder.reserve?.(P + G); // the cache holds P + G tokens from the start: no growth inside the timed steps
    const t0 = performance.now();
    let logits = await decoder.prefill(prompt);
    const t1 = performance.now();
    if (!warm) options.onProgress?.({ run, runs, phase: 'decode' });
    for (let g = 0; g < G; g++) {
      throwIfCancelled(options.signal);
      logits = await decoder.step(argmax(logits));
    }
    const t2 = performance.now();
    if (warm) continue;
    prefillMs.push(t1 - t0);
    decodeMsPerToken.push((t2 - t1) / G);
  }
  return {
    promptTokens: P,
    genTokens: G,
    runs,
    prefillMs: stat(prefillMs),
    prefillTokensPerS: stat(prefillMs.map((ms) => (P * 1000) / ms)),
    decodeMsPerToken: stat(decodeMsPerToken),
    decodeTokensPerS: stat(decodeMsPerToken.map((ms) => 1000 / ms)),
    backend: options.backend,
    adapter: options.adapter ?? null,
    isSoftwareAdapter: options.isSoftwareAdapter ?? false,
  };
}
