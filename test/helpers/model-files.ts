// Model folders on disk → ModelFileRef[] for tests, optionally only some of their files.

import fs from 'node:fs';
import path from 'node:path';
import type { ModelFileRef } from '../../src/model/loaded-model';

export const repoRoot = path.resolve(__dirname, '../..');
export const stories260KDir = path.join(repoRoot, 'public/models/stories260K');
export const genaiDir = path.join(repoRoot, 'test/fixtures/models/stories260K-genai-style');
export const tinyStoriesPath = path.join(repoRoot, 'public/data/tinystories-valid-sample.txt');

const textFiles = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** The given files of a model folder (paths relative to it) as lazy Blobs. */
export async function modelFiles(dir: string, weights: string[]): Promise<ModelFileRef[]> {
  const refs: ModelFileRef[] = [];
  for (const rel of [...textFiles, ...weights]) {
    const full = path.join(dir, rel);
    if (!fs.existsSync(full)) continue;
    refs.push({ path: rel, blob: await fs.openAsBlob(full) });
  }
  return refs;
}

export const stories260KLayouts = {
  'optimum ONNX folder': () => modelFiles(stories260KDir, ['onnx/model.onnx']),
  'safetensors checkpoint': () => modelFiles(stories260KDir, ['model.safetensors']),
  'genai-style fp32 ONNX': () => modelFiles(genaiDir, ['onnx/model.onnx']),
} as const;
