// The app's state: plain data only (what the lab reported), so it can be logged, compared and tested.
// Must not import React, the worker or the engine.

import type { LabErrorData } from '../errors';
import type {
  LawPointResult,
  LawProgress,
  LawResult,
  AccuracyProgress,
  AccuracyResult,
  BackendInfo,
  PrecisionRequest,
  BenchProgress,
  BenchResult,
  GpuBenchProgress,
  GpuBenchResult,
  FinetuneProgress,
  FinetuneResult,
  FinetuneStep,
  GenerateProgress,
  GenerateResult,
  LoadProgress,
  ModelSummary,
  PerplexityProgress,
  PerplexityResult,
} from '../lab/lab-api';
import { initialPruningState, type ExportState, type PruningState } from './pruning-state';
import { initialRunsState, type RunsState } from './runs-actions';
import { initialSpeedRecordsState, type SpeedRecordsState } from './speed-actions';

export type JobStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';
export type JobKind = 'load' | 'evaluation' | 'accuracy' | 'laws' | 'speed' | 'gpuBench' | 'generation' | 'tuning';

export interface JobState<P, R> {
  status: JobStatus;
  progress: P | null;
  result: R | null;
}

/** One point of the live perplexity chart. */
export interface PerplexityPoint {
  windowsDone: number;
  tokensScored: number;
  /** Sum of token NLLs so far (running mean × tokens), to derive the next window's own NLL. */
  nllSum: number;
  runningPpl: number;
  /** Perplexity of the windows since the previous point (one window when progress arrives per window). */
  windowPpl: number;
}

export interface ShownError extends LabErrorData {
  /** What the user was doing, e.g. 'Loading model'. */
  during: string;
}

export interface LabState {
  backend: BackendInfo | null;
  /** What the user asked for (the precision in effect, and why, is in `backend`). */
  precisionRequest: PrecisionRequest;
  model: ModelSummary | null;
  /**
   * The dropped model loaded before the last reload, if it was not the demo: its files are not kept,
   * so the page says to drop it again instead of silently showing the demo (null: none, or dismissed).
   */
  previousModel: string | null;
  /** source: what is being loaded (its name); replaced: the model it replaced, once done (null: none was loaded). */
  load: JobState<LoadProgress, ModelSummary> & { source: string | null; replaced?: string | null };
  evaluation: JobState<PerplexityProgress, PerplexityResult> & { points: PerplexityPoint[] };
  /** Zero-shot multiple-choice accuracy. */
  accuracy: JobState<AccuracyProgress, AccuracyResult>;
  /** The compression-law experiment: its points as they are measured, then the fitted result. */
  laws: JobState<LawProgress, LawResult> & { points: LawPointResult[] };
  speed: JobState<BenchProgress, BenchResult>;
  /** "Benchmark this model on my GPU" (Lab.benchmarkGpu); recordId: its saved measurement in speedRecords. */
  gpuBench: JobState<GpuBenchProgress, GpuBenchResult> & { recordId: string | null };
  /** Every finished GPU benchmark, kept between visits (speed-actions.ts). */
  speedRecords: SpeedRecordsState;
  generation: JobState<GenerateProgress, GenerateResult>;
  /** Recovery fine-tuning: the live steps (loss curve) and the export of the fine-tuned model. */
  tuning: JobState<FinetuneProgress, FinetuneResult> & { trace: FinetuneStep[]; exported: JobStatus };
  /** Export or conversion of the model as loaded (no pruning): safetensors ↔ transformers.js ONNX. */
  loadedExport: ExportState;
  /** Methods, their forms, the pruning job and the export (pruning-state.ts). */
  pruning: PruningState;
  /** Every finished prune run and recovery fine-tuning, stored between visits (runs-actions.ts). */
  runs: RunsState;
  error: ShownError | null;
  /** Jobs asked to cancel that have not stopped yet (their Cancel buttons say "Cancelling…"). */
  cancelling: JobKind[];
}

export function idleJob<P, R>(): JobState<P, R> {
  return { status: 'idle', progress: null, result: null };
}

export function initialLabState(): LabState {
  return {
    backend: null,
    precisionRequest: 'auto',
    model: null,
    previousModel: null,
    load: { ...idleJob<LoadProgress, ModelSummary>(), source: null },
    evaluation: { ...idleJob<PerplexityProgress, PerplexityResult>(), points: [] },
    accuracy: idleJob(),
    laws: { ...idleJob<LawProgress, LawResult>(), points: [] },
    speed: idleJob(),
    gpuBench: { ...idleJob<GpuBenchProgress, GpuBenchResult>(), recordId: null },
    speedRecords: initialSpeedRecordsState(),
    generation: idleJob(),
    tuning: { ...idleJob<FinetuneProgress, FinetuneResult>(), trace: [], exported: 'idle' },
    loadedExport: { status: 'idle', files: [], savedTo: null },
    pruning: initialPruningState(),
    runs: initialRunsState(),
    error: null,
    cancelling: [],
  };
}

/** True while any job runs: the worker runs one job at a time, so the UI starts one at a time. */
export function isBusy(state: LabState): boolean {
  const jobs = [state.load, state.evaluation, state.accuracy, state.laws, state.speed, state.gpuBench, state.generation, state.tuning, state.pruning.job, state.pruning.exported, state.loadedExport];
  return jobs.some((job) => job.status === 'running') || state.tuning.exported === 'running';
}

/** Appends a chart point for a progress report; the window's own NLL comes from the running sums. */
export function appendPoint(points: PerplexityPoint[], progress: PerplexityProgress): PerplexityPoint[] {
  if (progress.phase === 'tokenizing') return points; // no window scored yet
  const last = points[points.length - 1];
  if (last && progress.windowsDone <= last.windowsDone) return points;
  const previousTokens = last ? last.tokensScored : 0;
  const previousNllSum = last ? last.nllSum : 0;
  const nllSum = progress.runningNll * progress.tokensScored;
  const newTokens = progress.tokensScored - previousTokens;
  const windowNll = newTokens > 0 ? (nllSum - previousNllSum) / newTokens : progress.runningNll;
  const point = {
    windowsDone: progress.windowsDone,
    runningPpl: progress.runningPpl,
    windowPpl: Math.exp(windowNll),
    tokensScored: progress.tokensScored,
    nllSum,
  };
  return [...points, point];
}

/** Exact per-window points from a finished run (progress may arrive per batch of windows). */
export function pointsFromResult(result: PerplexityResult): PerplexityPoint[] {
  const tokensPerWindow = result.windows > 0 ? result.tokensScored / result.windows : 0;
  let nllSum = 0;
  return result.windowNlls.map((windowNll, i) => {
    nllSum += windowNll * tokensPerWindow;
    const tokensScored = (i + 1) * tokensPerWindow;
    return { windowsDone: i + 1, tokensScored, nllSum, runningPpl: Math.exp(nllSum / tokensScored), windowPpl: Math.exp(windowNll) };
  });
}
