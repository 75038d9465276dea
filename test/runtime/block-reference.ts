// Test-only float64 forward of ONE decoder block (llama + gpt2, from the HF definitions), returning
// the block output and each linear layer's input, plus model surgery helpers used by the
// calibration-runner tests. Imports nothing from graph/ or runtime/.

import { getWeight, gpt2Names, llamaNames, type ModelSpec } from '../../src/model/model-spec';
import { removeBlocks } from '../../src/pruning/apply-plan';
import { layerNorm, referenceBlock, referenceHead, rms as rmsNorm, type BlockReference } from '../oracles/reference-forward';

export { layerNorm, referenceBlock, referenceHead, rmsNorm, type BlockReference };

export type Rows = Float64Array[];

/** The spec with block i physically removed (later layer names re-indexed), as block pruning does. */
export function withoutBlock(spec: ModelSpec, i: number): ModelSpec {
  return removeBlocks(spec, [i]);
}

/** A copy of the spec whose block i adds nothing to the residual stream (o/down weights and biases zeroed). */
export function withSilentBlock(spec: ModelSpec, i: number): ModelSpec {
  const zeroed = spec.family === 'llama' ? [llamaNames.o(i), llamaNames.down(i)] : [gpt2Names.o(i), gpt2Names.oBias(i), gpt2Names.proj(i), gpt2Names.projBias(i)];
  const weights = new Map(spec.weights);
  for (const name of zeroed) {
    const t = getWeight(spec, name);
    weights.set(name, { shape: t.shape, data: new Float32Array(t.data.length) });
  }
  return { ...spec, weights };
}

/** Rows of window r of a row-major [N, T, d] array, as float64. */
export function windowRows(data: Float32Array, r: number, T: number, d: number): Rows {
  return Array.from({ length: T }, (_, t) => Float64Array.from(data.subarray((r * T + t) * d, (r * T + t + 1) * d)));
}
