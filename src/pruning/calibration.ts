// What pruning methods need from the runtime: forward passes over calibration windows, block by
// block, with statistics of each linear layer's input computed inside the graph. Implemented in
// src/runtime/calibration-runner.ts; methods depend only on this interface (pure, testable).

import type { ModelSpec } from '../model/model-spec';

/** Hidden states of N windows × T tokens × d channels, row-major [N, T, d]. */
export interface HiddenStates {
  data: Float32Array;
  windows: number;
  tokens: number;
  channels: number;
}

/** Statistics of the input X [tokens, d_in] of one linear layer, summed over all calibration tokens. */
export interface LinearInputStats {
  /** Σ_t x_tj² per input channel j (Wanda's ‖X_j‖²; the diagonal of `gram`), float64 [d_in]. */
  sqNorm: Float64Array;
  /** Σ_t x_t x_tᵀ, float64 [d_in, d_in] row-major; only when asked for ('gram'). */
  gram: Float64Array | null;
  /** Number of token rows summed. */
  tokens: number;
}

export type StatsKind = 'none' | 'norms' | 'gram';

export interface BlockRun {
  output: HiddenStates;
  /** By weight name (e.g. model.layers.3.self_attn.q_proj.weight); q/k/v share one object, as do gate/up. */
  inputs: Map<string, LinearInputStats>;
}

export interface CalibrationRunner {
  readonly sessionsCreated: number;
  /** Forward passes so far (full-model pass = 1, one block over all windows = 1/L). */
  readonly forwardPasses: number;
  /** Wall time spent in forward passes, ms. */
  readonly forwardMs: number;
  /** Embedding output for the windows (input of block 0). */
  embed(spec: ModelSpec, windows: Int32Array[]): Promise<HiddenStates>;
  /** Runs block i of `spec` (its current weights) on `hidden`, with input statistics of its linears. */
  runBlock(spec: ModelSpec, block: number, hidden: HiddenStates, stats: StatsKind): Promise<BlockRun>;
  /**
   * Summed NLL over positions 1..T−1 of every window, with block i skipped (identity) where
   * gates[i] = 0. All gate patterns of one spec share one session.
   */
  gatedNll(spec: ModelSpec, windows: Int32Array[], gates: number[]): Promise<number>;
  /**
   * ShortGPT's Block Influence per block: 1 − mean over tokens of cos(h_in, h_out), on the
   * residual stream before the final norm.
   */
  blockInfluence(spec: ModelSpec, windows: Int32Array[]): Promise<number[]>;
  dispose(): Promise<void>;
}
