// Fetches the bundled demo model (public/models/stories260K) from our own origin as ModelFileRefs.
// model.safetensors is left out on purpose: the lab then imports the ONNX file, and the import
// check compares our rebuilt graph with that ONNX graph's own logits.

import { LabError } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';

export const demoModelName = 'stories260K (bundled demo)';
const demoFolder = 'models/stories260K/';
const demoFiles = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

export async function fetchDemoModelFiles(baseUrl: string): Promise<ModelFileRef[]> {
  return Promise.all(
    demoFiles.map(async (path) => {
      const response = await fetch(`${baseUrl}${demoFolder}${path}`);
      if (!response.ok) {
        throw new LabError('missing-file', `${path}: the demo model file could not be fetched (HTTP ${response.status}).`);
      }
      return { path, blob: await response.blob() };
    }),
  );
}
