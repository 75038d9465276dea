// Decode speed against context length: for each context c (ascending) the KV cache is filled to c tokens
// (a prefill of the first chunk, then `extend` in chunks, so no attention matrix grows past chunk × c), then
// G single-token steps are timed; ms/token median/min/max over R runs (each run fills the cache afresh).
// Warm-up runs (untimed) at the first point only. No runtime import (takes a ContextDecoder).

import { LabError, throwIfCancelled } from '../errors';
import { argmax, type Decoder } from './generate';
import { stat, syntheticPrompt, type Stat } from './benchmark';

/** A Decoder that can also append several tokens to its cache in one run (Engine.extend). */
export interface ContextDecoder extends Decoder {
  extend(ids: number[]): Promise<Float32Array>;
}

export interface SweepRequest {
  /** Context lengths to decode at; default `sweepContexts(…)`. Sorted ascending, duplicates dropped. */
  contexts?: number[];
  /** Largest context of the default points (default DEFAULT_SWEEP_UP_TO, capped at the model's limit − genTokens). */
  upToTokens?: number;
  /** Number of default points (default 10). */
  points?: number;
  genTokens?: number; // default DEFAULT_SWEEP_GEN_TOKENS (32)
  runs?: number; // default DEFAULT_SWEEP_RUNS (3)
  warmupRuns?: number; // default 1 (at the first point)
}

export interface SweepProgress {
  phase: 'warmup' | 'filling' | 'decoding';
  /** 1-based point index and count. */
  point: number;
  points: number;
  contextTokens: number;
  run: number;
  runs: number;
}

export interface SweepPoint {
  /** Tokens in the KV cache when the first timed step runs. */
  contextTokens: number;
  msPerToken: Stat;
  tokensPerS: Stat;
  /** Filling the cache to contextTokens (prefill + extend chunks), ms. */
  fillMs: Stat;
  /** Tokens per extend run used to fill it. */
  chunkTokens: number;
}

export interface SweepResult {
  genTokens: number;
  runs: number;
  points: SweepPoint[];
}

export interface SweepOptions {
  vocabSize: number;
  /** The model's maxPositionEmbeddings: c + genTokens must fit. */
  contextLength: number;
  /** Most tokens per prefill / extend run (default 512). */
  maxChunkTokens?: number;
  /** Attention heads (largest block) and the most attention scores one run may hold (heads × chunk × context); default no limit. */
  numHeads?: number;
  maxChunkScores?: number;
  /** Prompt ids to fill with (the first c are taken); default a fixed pseudo-random sequence. */
  promptIds?: number[];
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
}

export const DEFAULT_SWEEP_UP_TO = 4096;
export const DEFAULT_SWEEP_GEN_TOKENS = 32;
export const DEFAULT_SWEEP_RUNS = 3;
export const DEFAULT_SWEEP_POINTS = 10;
const FIRST_POINT = 16;

/**
 * Default contexts: `points` lengths spread geometrically from 16 to min(upTo, contextLength − genTokens),
 * rounded, ascending, without duplicates; the last is the cap itself. A cap under 16 gives [cap].
 */
export function sweepContexts(contextLength: number, genTokens: number, upTo = DEFAULT_SWEEP_UP_TO, points = DEFAULT_SWEEP_POINTS): number[] {
  const cap = Math.floor(Math.min(upTo, contextLength - genTokens));
  if (!(cap >= 1)) return [];
  if (cap <= FIRST_POINT || points <= 1) return [cap];
  const out = new Set<number>();
  for (let i = 0; i < points; i++) out.add(Math.round(FIRST_POINT * (cap / FIRST_POINT) ** (i / (points - 1))));
  out.add(cap);
  return [...out].sort((a, b) => a - b);
}

/** Tokens per fill run at context c: at most maxChunk, and few enough that heads × chunk × c stays within maxScores (≥ 1). */
export function chunkTokensFor(contextTokens: number, maxChunk: number, numHeads = 1, maxScores = Infinity): number {
  const byScores = Math.floor(maxScores / (numHeads * contextTokens));
  return Math.max(1, Math.min(maxChunk, contextTokens, byScores));
}

const isCount = (n: unknown, min = 1): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min;

/**
 * The contexts a sweep request measures (explicit ones sorted and deduplicated, else the default points), checked:
 * counts whole and ≥ 1, the largest context + genTokens within the model's context. LabError 'bad-argument' otherwise.
 */
export function plannedContexts(request: SweepRequest, contextLength: number): number[] {
  const G = request.genTokens ?? DEFAULT_SWEEP_GEN_TOKENS;
  const runs = request.runs ?? DEFAULT_SWEEP_RUNS;
  const warmupRuns = request.warmupRuns ?? 1;
  if (!isCount(G) || !isCount(runs) || !isCount(warmupRuns, 0)) throw new LabError('bad-argument', 'sweep: genTokens and runs must be whole numbers ≥ 1 (warm-up runs ≥ 0)');
  if (request.upToTokens !== undefined && !isCount(request.upToTokens)) throw new LabError('bad-argument', `sweep: "up to" must be a whole number of tokens ≥ 1, got ${String(request.upToTokens)}`);
  if (request.points !== undefined && !isCount(request.points)) throw new LabError('bad-argument', `sweep: points must be a whole number ≥ 1, got ${String(request.points)}`);
  let contexts: number[];
  if (request.contexts !== undefined) {
    if (!Array.isArray(request.contexts)) throw new LabError('bad-argument', 'sweep: contexts must be a list of token counts');
    const bad = request.contexts.find((c) => !isCount(c));
    if (bad !== undefined) throw new LabError('bad-argument', `sweep: context lengths must be whole numbers ≥ 1, got ${String(bad)}`);
    contexts = [...new Set(request.contexts)].sort((a, b) => a - b);
  } else {
    contexts = sweepContexts(contextLength, G, request.upToTokens ?? DEFAULT_SWEEP_UP_TO, request.points ?? DEFAULT_SWEEP_POINTS);
  }
  if (contexts.length === 0) throw new LabError('bad-argument', `sweep: no context fits: ${G} generated tokens leave none of the model's ${contextLength}`);
  const last = contexts[contexts.length - 1];
  if (last + G > contextLength) throw new LabError('bad-argument', `sweep: context ${last} + ${G} generated tokens exceeds the model's context of ${contextLength}`);
  return contexts;
}

export async function runContextSweep(decoder: ContextDecoder, request: SweepRequest, options: SweepOptions): Promise<SweepResult> {
  const contexts = plannedContexts(request, options.contextLength);
  const G = request.genTokens ?? DEFAULT_SWEEP_GEN_TOKENS;
  const runs = request.runs ?? DEFAULT_SWEEP_RUNS;
  const warmupRuns = request.warmupRuns ?? 1;
  const maxChunk = options.maxChunkTokens ?? 512;
  if (!isCount(maxChunk)) throw new LabError('bad-argument', `sweep: the chunk size must be a whole number ≥ 1, got ${String(maxChunk)}`);
  const last = contexts[contexts.length - 1];
  const ids = options.promptIds ? options.promptIds.slice(0, last) : syntheticPrompt(last, options.vocabSize);
  if (ids.length < last) throw new LabError('bad-argument', `sweep: only ${ids.length} prompt ids were given for a context of ${last}`);

  /** Fills the cache to c tokens in chunks; returns the last logits. */
  const fill = async (c: number, chunk: number): Promise<Float32Array> => {
    throwIfCancelled(options.signal);
    let logits = await decoder.prefill(ids.slice(0, Math.min(chunk, c)));
    for (let at = chunk; at < c; at += chunk) {
      throwIfCancelled(options.signal);
      logits = await decoder.extend(ids.slice(at, Math.min(at + chunk, c)));
    }
    return logits;
  };

  const points: SweepPoint[] = [];
  for (let p = 0; p < contexts.length; p++) {
    const c = contexts[p];
    const chunk = chunkTokensFor(c, maxChunk, options.numHeads, options.maxChunkScores);
    const warm = p === 0 ? warmupRuns : 0;
    const msPerToken: number[] = [];
    const fillMs: number[] = [];
    for (let r = 0; r < warm + runs; r++) {
      const isWarm = r < warm;
      const run = isWarm ? r + 1 : r - warm + 1;
      const base = { point: p + 1, points: contexts.length, contextTokens: c, run, runs: isWarm ? warm : runs };
      options.onProgress?.({ phase: isWarm ? 'warmup' : 'filling', ...base });
      await decoder.reserve?.(c + G); // room for the timed steps too: a fixed cache must not grow inside them
      const t0 = performance.now();
      let logits = await fill(c, chunk);
      const t1 = performance.now();
      if (!isWarm) options.onProgress?.({ phase: 'decoding', ...base });
      for (let g = 0; g < G; g++) {
        throwIfCancelled(options.signal);
        logits = await decoder.step(argmax(logits));
      }
      const t2 = performance.now();
      if (isWarm) continue;
      fillMs.push(t1 - t0);
      msPerToken.push((t2 - t1) / G);
    }
    points.push({ contextTokens: c, msPerToken: stat(msPerToken), tokensPerS: stat(msPerToken.map((ms) => 1000 / ms)), fillMs: stat(fillMs), chunkTokens: chunk });
  }
  return { genTokens: G, runs, points };
}
