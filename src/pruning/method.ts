// The contract every pruning method implements: declared parameters (the UI and CLI build their
// forms from them), and run() → PruningPlan. One file per method in methods/, listed in registry.ts.

import { LabError } from '../errors';
import type { ChannelRegularizer, DistillOptions } from '../graph/train-graph';
import type { ModelSpec } from '../model/model-spec';
import type { CalibrationRunner } from './calibration';
import type { PruningPlan } from './plan';

export type ParamValue = number | string | boolean;

export interface ParamSpec {
  name: string;
  label: string;
  type: 'number' | 'integer' | 'enum' | 'boolean' | 'block-list';
  default: ParamValue;
  min?: number;
  max?: number;
  step?: number;
  /** enum only. */
  options?: { value: string; label: string }[];
  /** One sentence: what it does, with units. */
  help: string;
}

export interface MethodProgress {
  /** 0..1 over the whole run. */
  fraction: number;
  message: string;
  /** The newest trace entry, when the step produced one (live SLEB candidates, NeuroAL grid). */
  trace?: import('./plan').TraceEntry;
}

/** What a regularizing method (DReSS) trains with: runtime/trainer's Trainer on the lab's backend. */
export interface MethodTrainer {
  step(
    windows: Int32Array[],
    inputs?: { masks?: Map<string, Float32Array> },
  ): Promise<{ step: number; loss: number; penalty?: number; sliceNorm?: number; gradNorm: number; maskGradients?: Map<string, Float32Array>; distillKl?: number }>;
  weights(): Promise<Map<string, Float32Array>>;
  dispose(): Promise<void>;
}

export interface MethodTrainerOptions {
  trainable: (weight: string) => boolean;
  batch: number;
  seqLen: number;
  lr: number;
  totalSteps: number;
  warmupSteps?: number;
  schedule?: 'cosine' | 'linear' | 'constant';
  regularizer?: ChannelRegularizer;
  /** Weights multiplied by masks fed each step; the step returns ∂L/∂mask (movement pruning). */
  masked?: string[];
  /** Distillation from the model as given (frozen teacher). */
  distill?: DistillOptions;
}

export interface PruningContext {
  spec: ModelSpec;
  runner: CalibrationRunner;
  /** Training on the lab's backend (methods that regularize before pruning); absent where none is wired. */
  createTrainer?: (spec: ModelSpec, options: MethodTrainerOptions) => Promise<MethodTrainer>;
  /** Calibration windows (already cut and sampled), each of the same length. */
  windows: Int32Array[];
  signal?: AbortSignal;
  onProgress?: (progress: MethodProgress) => void;
}

export interface PruningMethod {
  id: string;
  label: string;
  /**
   * 'blocks' methods remove whole blocks (real speed-up); 'sparsity' methods zero weights; 'width'
   * methods make matrices narrower: hidden channels (the residual stream), or attention groups and FFN
   * neurons inside blocks (real speed-up).
   */
  kind: 'blocks' | 'sparsity' | 'width';
  /** One sentence for the method picker. */
  summary: string;
  paper: { title: string; url: string };
  params: ParamSpec[];
  /**
   * The parameter a sweep varies ("ratio"): 'fraction' = a 0..1 sparsity param; 'blocks' = an integer
   * count of blocks to remove (a sweep ratio r becomes round(r · layers)). Absent: not sweepable.
   */
  ratioParam?: { name: string; unit: 'fraction' | 'blocks' };
  /** Trains before it prunes (needs PruningContext.createTrainer). */
  needsTraining?: boolean;
  needsCalibration: boolean;
  run(context: PruningContext, params: Record<string, ParamValue>): Promise<PruningPlan>;
}

/** A pruning method as the UI and CLI see it: its declaration without run() (params build the form). */
export type MethodInfo = Omit<PruningMethod, 'run'>;

/**
 * What a training method (DReSS, movement) needs from its context: the trainer factory, refused with the
 * method's id when this lab wired none, or when there are no calibration windows to train on.
 */
export function trainingContext(ctx: PruningContext, methodId: string): NonNullable<PruningContext['createTrainer']> {
  if (!ctx.createTrainer) throw new LabError('bad-argument', `${methodId}: this lab cannot train here (no trainer was wired into the pruning context)`);
  if (ctx.windows.length === 0) throw new LabError('bad-argument', `${methodId}: no calibration windows to train on`);
  return ctx.createTrainer;
}

/** The `batch` calibration windows of 0-based training step `step`, cycling through the windows. */
export function stepWindows(windows: Int32Array[], batch: number, step: number): Int32Array[] {
  return Array.from({ length: batch }, (_, r) => windows[(step * batch + r) % windows.length]);
}
