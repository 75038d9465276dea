// What the importers hand to the lab: the ModelSpec plus what came with it.

import type { ModelSpec } from './model-spec';

/** A dropped file. `path` is relative to the dropped folder, '/'-separated (e.g. 'onnx/model.onnx'). */
export interface ModelFileRef {
  path: string;
  blob: Blob;
  /**
   * Optional synchronous reads of the same bytes (Node: the CLI's folder reader). With it, or in a
   * worker with FileReaderSync, weights stay in their file until used (model/stored-weight.ts).
   */
  readSync?: (offset: number, length: number) => Uint8Array;
  /** Node only (the CLI's folder reader): the file on disk, so the native runtime can open it itself. */
  diskPath?: string;
}

export type SourceLayout = 'onnx-optimum' | 'onnx-genai' | 'safetensors';
export type SourceDtype = 'float32' | 'float16' | 'bfloat16' | 'q4';

export interface ModelSource {
  layout: SourceLayout;
  /** Path of the file the weights were read from (first shard for sharded safetensors). */
  weightsFile: string;
  weightsDtype: SourceDtype;
  /** Bytes of all weight files read (graph + external data, or all shards). */
  weightBytes: number;
  /** Every dropped file path, sorted. */
  files: string[];
}

/** The dropped ONNX graph, kept by reference so the import check can run it. */
export interface ReferenceOnnx {
  file: ModelFileRef;
  /** External data files the graph names, in the order they were found. */
  externalData: ModelFileRef[];
}

export interface LoadedModel {
  spec: ModelSpec;
  /** Parsed tokenizer.json and tokenizer_config.json (the latter may be {}). */
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  generationConfig: Record<string, unknown> | null;
  source: ModelSource;
  referenceOnnx: ReferenceOnnx | null;
}
