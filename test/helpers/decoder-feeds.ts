// Feeds of a decoder graph (Optimum I/O) for one sequence with an empty KV cache.

import type { ModelSpec } from '../../src/model/model-spec';
import { float32Tensor, int64Tensor, type ort } from '../../src/runtime/ort';

export function decoderFeeds(spec: ModelSpec, ids: number[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64Tensor(ids, [1, ids.length]),
    attention_mask: int64Tensor(ids.map(() => 1), [1, ids.length]),
    position_ids: int64Tensor(ids.map((_, t) => t), [1, ids.length]),
  };
  spec.layers.forEach((l, i) => {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = float32Tensor(new Float32Array(0), [1, l.numKvHeads, 0, l.headDim]);
  });
  return feeds;
}
