// Looks tensors up across all dropped safetensors files (shards) and reads them as fp32 with a shape check.

import { LabError } from '../../errors';
import { readSafetensorsTensor, type SafetensorsEntry, type SafetensorsFile } from '../../formats/safetensors';
import type { WeightTensor } from '../model-spec';
import { checkShape } from './expected-shapes';

export function findTensor(files: SafetensorsFile[], name: string): { file: SafetensorsFile; entry: SafetensorsEntry } | null {
  for (const file of files) {
    const entry = file.entries.get(name);
    if (entry) return { file, entry };
  }
  return null;
}

export function filesLabel(files: SafetensorsFile[]): string {
  return files.length === 1 ? files[0].path : `${files[0].path} (+${files.length - 1} shards)`;
}

/** Reads `name` (first of `aliases` found), checking its stored shape against `expected` before reading. */
export async function readChecked(files: SafetensorsFile[], aliases: string[], expected: number[]): Promise<WeightTensor> {
  for (const name of aliases) {
    const found = findTensor(files, name);
    if (!found) continue;
    checkShape(found.file.path, name, found.entry.shape, expected);
    return { shape: [...expected], data: await readSafetensorsTensor(found.file, name) };
  }
  throw new LabError(
    'corrupt',
    `${filesLabel(files)}: has no tensor '${aliases[0]}' (config.json implies shape [${expected.join(', ')}])`,
    { tensor: aliases[0] },
  );
}
