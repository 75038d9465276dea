// The importers, most specific first. Adding a source layout = one file + one line here.

import { LabError } from '../../errors';
import { gpt2SafetensorsImporter } from './gpt2-safetensors';
import { llamaOnnxGenaiImporter } from './llama-onnx-genai';
import { llamaOnnxOptimumImporter } from './llama-onnx-optimum';
import { llamaSafetensorsImporter } from './llama-safetensors';
import type { ImportInputs, Importer } from './types';

export const importers: Importer[] = [
  llamaSafetensorsImporter,
  gpt2SafetensorsImporter,
  llamaOnnxGenaiImporter,
  llamaOnnxOptimumImporter,
];

/** Safetensors win over ONNX when both were dropped (the ONNX is then only the reference). */
export function pickImporter(inputs: ImportInputs, weightsLabel: string): Importer {
  const found = importers.find((imp) => imp.accepts(inputs));
  if (found) return found;
  throw new LabError(
    'unsupported-format',
    `${weightsLabel}: no importer for a ${inputs.parsed.config.modelType} model stored this way; supported: ${importers.map((i) => i.description).join('; ')}`,
    { modelType: inputs.parsed.config.modelType },
  );
}
