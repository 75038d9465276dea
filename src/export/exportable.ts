// Whether a ModelSpec can be exported, decided before any bytes are written: the same checks the
// config writer makes (one size for every block; GPT-2 keeps its config's sizes). Pure.

import { LabError } from '../errors';
import type { ModelSpec } from '../model/model-spec';
import { exportConfig } from './export-config';

export interface Exportability {
  safetensors: boolean;
  transformersJs: boolean;
  /** Why a format is refused (the first refusal's message), null when both are possible. */
  reason: string | null;
}

/** Runs exportConfig for each target (cheap: no weights are touched) and keeps its refusal. */
export function checkExportable(spec: ModelSpec): Exportability {
  const attempt = (target: 'safetensors' | 'transformers.js'): string | null => {
    try {
      exportConfig(spec, null, target);
      return null;
    } catch (error) {
      if (error instanceof LabError) return error.message;
      throw error;
    }
  };
  const safetensorsReason = attempt('safetensors');
  const onnxReason = attempt('transformers.js');
  return { safetensors: safetensorsReason === null, transformersJs: onnxReason === null, reason: safetensorsReason ?? onnxReason };
}
