// Looks tensors up across all dropped safetensors files (shards) and reads them as fp32 with a shape check.

import { LabError } from '../../errors';
import { floatDtypeOf, type SafetensorsEntry, type SafetensorsFile } from '../../formats/safetensors';
import type { WeightTensor } from '../model-spec';
import { StoredWeight } from '../stored-weight';
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

/**
 * `name` (first of `aliases` found) as a StoredWeight in the file's precision, its stored shape checked
 * against `expected`. With synchronous reads (Node, workers) nothing is read until the tensor is used;
 * otherwise its bytes are read now and held as they are (fp16 stays fp16).
 */
export async function readChecked(files: SafetensorsFile[], aliases: string[], expected: number[]): Promise<WeightTensor> {
  for (const name of aliases) {
    const found = findTensor(files, name);
    if (!found) continue;
    const { file, entry } = found;
    checkShape(file.path, name, entry.shape, expected);
    const dtype = floatDtypeOf(file, entry);
    const length = entry.end - entry.begin;
    if (file.readSync) return new StoredWeight([...expected], dtype, { kind: 'file', path: file.path, offset: entry.begin, length, readSync: file.readSync });
    return new StoredWeight([...expected], dtype, { kind: 'bytes', bytes: await file.source.read(entry.begin, length) });
  }
  throw new LabError(
    'corrupt',
    `${filesLabel(files)}: has no tensor '${aliases[0]}' (config.json implies shape [${expected.join(', ')}])`,
    { tensor: aliases[0] },
  );
}
