// Llama family (llama, mistral, qwen2, smollm) from Hugging Face safetensors: names are already
// canonical and weights already [out, in]; only dtype conversion and shape checks happen here.

import { safetensorsDtype } from '../../formats/safetensors';
import type { WeightTensor } from '../model-spec';
import { expectedShapes } from './expected-shapes';
import { readChecked } from './safetensors-tensors';
import type { Importer } from './types';

export const llamaSafetensorsImporter: Importer = {
  layout: 'safetensors',
  description: 'Llama-family Hugging Face safetensors (llama, mistral, qwen2)',
  accepts: (inputs) => inputs.parsed.family === 'llama' && inputs.safetensors.length > 0,
  async import(inputs) {
    const tied = inputs.parsed.config.tieWordEmbeddings;
    const expected = expectedShapes(inputs.parsed, tied);
    const weights = new Map<string, WeightTensor>();
    let done = 0;
    for (const [name, shape] of expected) {
      weights.set(name, await readChecked(inputs.safetensors, [name], shape));
      inputs.onProgress(++done / expected.size, name);
    }
    return { weights, weightsDtype: safetensorsDtype(inputs.safetensors[0]), tieWordEmbeddings: tied };
  },
};
