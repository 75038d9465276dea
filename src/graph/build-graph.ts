// Entry point of graph/: ModelSpec + purpose → the graph IR (OnnxModel, weights lazy) or ONNX
// ModelProto bytes. Pure (no runtime import).

import { LabError } from '../errors';
import type { ModelSpec } from '../model/model-spec';
import { buildGpt2Graph } from './gpt2-graph';
import type { GraphOptions } from './graph-parts';
import { buildLlamaGraph } from './llama-graph';
import { encodeOnnxModel, type OnnxModel } from './onnx-writer';

export type { GraphOptions, GraphPurpose } from './graph-parts';

/** ModelProto bytes (weights embedded; under protobuf's 2 GB). Runtimes prefer buildModelProto. */
export function buildModelGraph(spec: ModelSpec, options: GraphOptions): Uint8Array {
  return encodeOnnxModel(buildModelProto(spec, options));
}

/**
 * The graph as IR. Weight initializers are lazy (`data` computed on each read, one tensor at a time),
 * so whoever encodes it (bytes, or external data on disk) holds at most one weight copy at once.
 */
export function buildModelProto(spec: ModelSpec, options: GraphOptions): OnnxModel {
  for (const [i, l] of spec.layers.entries()) {
    if (l.numHeads % l.numKvHeads !== 0 || l.headDim % 2 !== 0)
      throw new LabError('unsupported-architecture', `layer ${i}: ${l.numHeads} heads do not group over ${l.numKvHeads} KV heads of dim ${l.headDim}`);
  }
  if (spec.family === 'llama') return buildLlamaGraph(spec, options);
  if (spec.family === 'gpt2') return buildGpt2Graph(spec, options);
  throw new LabError('unsupported-architecture', `no graph builder for family ${String(spec.family)}`);
}

// Sequential calibration: one block per graph, its weights fed as inputs (see block-graph.ts).
export { blockSessionKey, blockShape, blockStatGroups, blockWeightInputs, buildBlockGraph, buildBlockModel } from './block-graph';
export type { BlockGraphOptions, BlockShape, BlockStatGroup, BlockStatsKind, BlockWeightInput } from './block-graph';
