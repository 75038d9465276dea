// AdamW on the host, in place: the update graph/train-graph's buildAdamWGraph computes, as one pass per
// tensor over Float32Arrays. The CPU backends (onnxruntime-node, WASM) keep the training state in JS
// memory anyway, and a session returns every output as a fresh copy, so running the update as a graph
// there cost ~14 elementwise passes and a new copy of weights and both moments per step; this is one
// read of the gradient for the norm and one fused pass. WebGPU keeps the graph (state on the device).

import type { AdamWOptions } from '../graph/train-graph';

/** One trainable tensor's state, updated in place. */
export interface HostAdamWState {
  weight: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Decoupled weight decay applies (matrices only, as in the graph). */
  decay: boolean;
  /** 1 where the weight may change; elsewhere it is set to 0 (masked fine-tuning of pruned weights). */
  keep?: Uint8Array;
}

export interface HostAdamWStep {
  lr: number;
  /** 1-based optimizer step (bias correction). */
  step: number;
  /** Scale of the gradient sums (1 / micro-batches). */
  gradScale: number;
}

/** Updates every state in place from its gradient sum; returns the global L2 norm of the scaled gradient, before clipping. */
export function hostAdamWStep(states: readonly HostAdamWState[], gradients: readonly Float32Array[], s: HostAdamWStep, o: AdamWOptions): number {
  let sumSquares = 0;
  for (const g of gradients) {
    let partial = 0;
    for (let i = 0; i < g.length; i++) partial += g[i] * g[i];
    sumSquares += partial;
  }
  const gradNorm = Math.sqrt(sumSquares) * s.gradScale;
  const clip = o.maxGradNorm > 0 ? Math.min(1, o.maxGradNorm / (gradNorm + 1e-6)) : 1;
  const c = { scale: s.gradScale * clip, b1: o.beta1, b2: o.beta2, eps: o.eps, lr: s.lr, invBc1: 1 / (1 - o.beta1 ** s.step), invBc2: 1 / (1 - o.beta2 ** s.step) };
  states.forEach((state, k) => updateTensor(state, gradients[k], state.decay ? o.weightDecay : 0, c));
  return gradNorm;
}

/** One tensor's fused update (a separate function with plain numeric locals, so V8 optimizes the loop). */
function updateTensor(
  state: HostAdamWState,
  g: Float32Array,
  decay: number,
  c: { scale: number; b1: number; b2: number; eps: number; lr: number; invBc1: number; invBc2: number },
): void {
  const { weight: w, m, v, keep } = state;
  const { scale, b1, b2, eps, lr, invBc1, invBc2 } = c;
  const [a1, a2] = [1 - b1, 1 - b2];
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] * scale;
    const mi = b1 * m[i] + a1 * gi;
    const vi = b2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= lr * ((mi * invBc1) / (Math.sqrt(vi * invBc2) + eps) + decay * w[i]);
  }
  if (keep) for (let i = 0; i < w.length; i++) if (!keep[i]) w[i] = 0;
}
