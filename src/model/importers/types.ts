// What every importer receives and returns. Pure types.

import type { OnnxWeightsSource } from '../../formats/onnx-tensor';
import type { SafetensorsFile } from '../../formats/safetensors';
import type { SourceDtype, SourceLayout } from '../loaded-model';
import type { WeightTensor } from '../model-spec';
import type { ParsedConfig } from './hf-config';

export interface ImportInputs {
  parsed: ParsedConfig;
  /** All safetensors files (shards merged by the caller), empty when none were dropped. */
  safetensors: SafetensorsFile[];
  /** The chosen ONNX graph, when one was dropped. */
  onnx: OnnxWeightsSource | null;
  /** 0..1 progress while tensors are read. */
  onProgress: (fraction: number, message: string) => void;
}

export interface ImportResult {
  weights: Map<string, WeightTensor>;
  weightsDtype: SourceDtype;
  /** An ONNX graph may carry its own (untied, e.g. quantized) lm_head even when config.json ties it. */
  tieWordEmbeddings: boolean;
}

export interface Importer {
  layout: SourceLayout;
  /** Short description for errors and READMEs. */
  description: string;
  /** True when this importer recognises the dropped weights. */
  accepts(inputs: ImportInputs): boolean;
  import(inputs: ImportInputs): Promise<ImportResult>;
}
