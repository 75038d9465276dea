// The pruning slice of the app state (plain data only) and the pure steps around it: the settings
// form, turning form values into a PruneRequest, merging live trace entries. No React, no engine.

import type { LabErrorData } from '../errors';
import type { MethodInfo, PruneProgress, PruneRequest, PruneResult, TextSource } from '../lab/lab-api';
import type { TraceEntry } from '../pruning/plan';
import { defaultFormValues, parseParams, type FormValues } from './param-values';

export type TextChoice = 'tinystories' | 'wikitext2' | 'file';
export type PruneJobStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

/** Calibration, evaluation and speed settings as the form holds them (numbers as typed text). */
export interface PruneSettings {
  calibrationText: TextChoice;
  /** A dropped .txt (its text), used when calibrationText is 'file'. */
  calibrationFile: { name: string; text: string } | null;
  calibrationWindows: string;
  calibrationSeqLen: string;
  sampling: 'first' | 'random';
  seed: string;
  evaluate: boolean;
  /**
   * The held-out text, always scored on its last quarter (evaluation/text-parts), so every run's
   * perplexity is on the same windows. 'same' (default) = the calibration text itself (in-domain), and
   * calibration then draws from its first three quarters (disjoint); 'other' = the bundled text
   * calibration does not use; or a text by name ('file' = the calibration file).
   */
  evalText: 'same' | 'other' | TextChoice;
  evalSeqLen: string;
  evalMaxWindows: string;
  measureSpeed: boolean;
  speedPromptTokens: string;
  speedGenTokens: string;
  speedRuns: string;
  /** Zero-shot accuracy on the bundled HellaSwag items, dense and pruned, the first accuracyItems items. */
  measureAccuracy: boolean;
  accuracyItems: string;
  /** Greedy text from one prompt, dense and pruned, in the same run (side by side in the Runs panel). */
  generate: boolean;
  generatePrompt: string;
  generateTokens: string;
}

export interface PruneJob {
  status: PruneJobStatus;
  progress: PruneProgress | null;
  /** Trace entries as they arrived (live), replaced by the result's trace when the run ends. */
  trace: TraceEntry[];
  result: PruneResult | null;
  error: LabErrorData | null;
  /** The finished run's RunRecord id (the run whose model the lab holds as 'pruned'); null until recorded. */
  runId: string | null;
  /** Cancel was asked for and the job has not stopped yet (the UI says "Cancelling…" at once). */
  cancelling: boolean;
}

export interface ExportState {
  status: PruneJobStatus;
  /** What was saved: paths and sizes in bytes. */
  files: { path: string; bytes: number }[];
  savedTo: 'folder' | 'downloads' | null;
}

/** One run waiting in, or taken from, the queue (plain data). Runs one at a time, oldest first. */
export interface QueuedRun {
  id: string;
  methodId: string;
  methodLabel: string;
  /** Short line for the queue list, e.g. "Wanda · sparsity=0.5 · tinystories ×16". */
  label: string;
  request: PruneRequest;
  /** modelKeyOf the model loaded when it was queued: it runs only on that model (else it is cancelled). */
  modelKey: string | null;
  status: 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
  progress: PruneProgress | null;
  error: LabErrorData | null;
  /** The RunRecord's id once the run is done and recorded. */
  runId: string | null;
}

/** The sweep form: the chosen methods × ratios × calibration texts become queued runs. Text as typed. */
export interface SweepForm {
  /** Methods to compare, each with its current form values (its ratio param replaced per ratio). */
  methodIds: string[];
  /** Comma-separated ratios 0..1, e.g. "0.25, 0.5": sparsity for 'fraction' methods, round(r·layers) blocks for 'blocks' methods. */
  ratios: string;
  /** One or more bundled calibration texts (empty = the settings' calibration text). */
  calibrationTexts: ('tinystories' | 'wikitext2')[];
}

export interface PruningState {
  methods: MethodInfo[];
  methodsStatus: 'idle' | 'loading' | 'done' | 'failed';
  selectedMethodId: string | null;
  /** Method id → its form values (kept when switching methods). */
  formValues: Record<string, FormValues>;
  settings: PruneSettings;
  /** The running / last finished run (mirrors the queue's running item; the Prune panel shows it). */
  job: PruneJob;
  exported: ExportState;
  /** Every queued run of this page visit, oldest first (finished ones stay until cleared). */
  queue: QueuedRun[];
  sweep: SweepForm;
}

/** Defaults sized for a software adapter (SwiftShader): few, short windows. */
export function defaultPruneSettings(): PruneSettings {
  return {
    calibrationText: 'tinystories',
    calibrationFile: null,
    calibrationWindows: '16',
    calibrationSeqLen: '128',
    sampling: 'first',
    seed: '0',
    evaluate: true,
    evalText: 'same',
    evalSeqLen: '128',
    evalMaxWindows: '4',
    measureSpeed: true,
    speedPromptTokens: '32',
    speedGenTokens: '16',
    speedRuns: '2',
    measureAccuracy: false,
    accuracyItems: '40',
    generate: true,
    generatePrompt: 'Once upon a time',
    generateTokens: '24',
  };
}

export function idlePruneJob(): PruneJob {
  return { status: 'idle', progress: null, trace: [], result: null, error: null, runId: null, cancelling: false };
}

export function initialPruningState(): PruningState {
  return {
    methods: [],
    methodsStatus: 'idle',
    selectedMethodId: null,
    formValues: {},
    settings: defaultPruneSettings(),
    job: idlePruneJob(),
    exported: { status: 'idle', files: [], savedTo: null },
    queue: [],
    sweep: { methodIds: [], ratios: '0.25, 0.5', calibrationTexts: [] },
  };
}

/** Form values for every method, keeping what the user already typed for methods seen before. */
export function formValuesFor(methods: MethodInfo[], previous: Record<string, FormValues> = {}): Record<string, FormValues> {
  return Object.fromEntries(methods.map((m) => [m.id, { ...defaultFormValues(m.params), ...previous[m.id] }]));
}

/**
 * The newest entry joins the trace. A SLEB step may be reported again as its candidates fill in:
 * the same step replaces its earlier report. An exact repeat of the last entry is dropped.
 */
export function mergeTrace(trace: TraceEntry[], entry: TraceEntry): TraceEntry[] {
  const last = trace[trace.length - 1];
  if (last && entry.kind === 'sleb-step' && last.kind === 'sleb-step' && last.step === entry.step) {
    return [...trace.slice(0, -1), entry];
  }
  if (last && JSON.stringify(last) === JSON.stringify(entry)) return trace;
  return [...trace, entry];
}

function wholeNumber(text: string, label: string, min: number, errors: Record<string, string>, key: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < min) errors[key] = `${label}: enter a whole number ≥ ${min}.`;
  return value;
}

function bundledOrFile(choice: TextChoice, file: PruneSettings['calibrationFile']): TextSource | null {
  if (choice !== 'file') return { kind: 'bundled', id: choice };
  return file ? { kind: 'file', name: file.name, text: file.text } : null;
}

/** The held-out text's choice: 'same' is the calibration text (a file too), 'other' the bundled text calibration does not use. */
export function evaluationText(settings: PruneSettings): TextChoice {
  if (settings.evalText === 'same') return settings.calibrationText;
  if (settings.evalText !== 'other') return settings.evalText;
  return settings.calibrationText === 'tinystories' ? 'wikitext2' : 'tinystories';
}

/** Whether evaluation scores the calibration text: calibration then uses its first three quarters (evaluation always its last). */
export function evaluatesCalibrationText(settings: PruneSettings): boolean {
  return settings.evaluate && evaluationText(settings) === settings.calibrationText;
}

export type BuiltRequest = { request: PruneRequest; errors?: undefined } | { request?: undefined; errors: Record<string, string> };

/** Form values + settings → a PruneRequest, or every problem keyed by parameter / setting name. */
export function buildPruneRequest(method: MethodInfo, form: FormValues, settings: PruneSettings, numLayers?: number): BuiltRequest {
  const { values, errors } = parseParams(method.params, form, numLayers);
  const calibrationText = bundledOrFile(settings.calibrationText, settings.calibrationFile);
  if (!calibrationText) errors.calibrationFile = 'Calibration text: choose a .txt file.';
  const windows = wholeNumber(settings.calibrationWindows, 'Calibration windows', 1, errors, 'calibrationWindows');
  const seqLen = wholeNumber(settings.calibrationSeqLen, 'Calibration window length', 2, errors, 'calibrationSeqLen');
  const seed = wholeNumber(settings.seed, 'Seed', 0, errors, 'seed');
  const request: PruneRequest = {
    methodId: method.id,
    params: values,
    calibration: { text: calibrationText ?? { kind: 'bundled', id: 'tinystories' }, windows, seqLen, sampling: settings.sampling, seed },
  };
  const split = evaluatesCalibrationText(settings);
  if (split) request.calibration.part = 'head';
  if (settings.evaluate) {
    request.evaluation = {
      text: bundledOrFile(evaluationText(settings), settings.calibrationFile) ?? { kind: 'bundled', id: 'tinystories' },
      part: 'tail',
      seqLen: wholeNumber(settings.evalSeqLen, 'Evaluation window length', 2, errors, 'evalSeqLen'),
      maxWindows: wholeNumber(settings.evalMaxWindows, 'Evaluation windows', 1, errors, 'evalMaxWindows'),
    };
  }
  if (settings.measureSpeed) {
    request.speed = {
      promptTokens: wholeNumber(settings.speedPromptTokens, 'Prompt tokens', 1, errors, 'speedPromptTokens'),
      genTokens: wholeNumber(settings.speedGenTokens, 'Generated tokens', 1, errors, 'speedGenTokens'),
      runs: wholeNumber(settings.speedRuns, 'Speed runs', 1, errors, 'speedRuns'),
      warmupRuns: 1,
    };
  }
  if (settings.measureAccuracy) {
    request.accuracy = { data: { kind: 'bundled', id: 'hellaswag' }, maxItems: wholeNumber(settings.accuracyItems, 'Accuracy items', 1, errors, 'accuracyItems') };
  }
  if (settings.generate) {
    if (settings.generatePrompt.trim() === '') errors.generatePrompt = 'Prompt: enter some text.';
    request.generation = {
      prompt: settings.generatePrompt,
      maxNewTokens: wholeNumber(settings.generateTokens, 'New tokens', 1, errors, 'generateTokens'),
    };
  }
  return Object.keys(errors).length > 0 ? { errors } : { request };
}
