// Entry point of graph/: ModelSpec + purpose → ONNX ModelProto bytes. Pure (no runtime import).

import { LabError } from '../errors';
import type { ModelSpec } from '../model/model-spec';
import { buildGpt2Graph } from './gpt2-graph';
import type { GraphOptions } from './graph-parts';
import { buildLlamaGraph } from './llama-graph';

export type { GraphOptions, GraphPurpose } from './graph-parts';

export function buildModelGraph(spec: ModelSpec, options: GraphOptions): Uint8Array {
  for (const [i, l] of spec.layers.entries()) {
    if (l.numHeads % l.numKvHeads !== 0 || l.headDim % 2 !== 0)
      throw new LabError('unsupported-architecture', `layer ${i}: ${l.numHeads} heads do not group over ${l.numKvHeads} KV heads of dim ${l.headDim}`);
  }
  if (spec.family === 'llama') return buildLlamaGraph(spec, options);
  if (spec.family === 'gpt2') return buildGpt2Graph(spec, options);
  throw new LabError('unsupported-architecture', `no graph builder for family ${String(spec.family)}`);
}

// Sequential calibration: one block per graph, its weights fed as inputs (see block-graph.ts).
export { blockSessionKey, blockShape, blockStatGroups, blockWeightInputs, buildBlockGraph } from './block-graph';
export type { BlockGraphOptions, BlockShape, BlockStatGroup, BlockStatsKind, BlockWeightInput } from './block-graph';
