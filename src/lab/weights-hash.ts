// The identity of a model's weights: SHA-256 over every tensor's canonical name, shape and fp32 bytes,
// in name order (crypto.subtle, in workers and Node alike). Runs are tied to it. Pure: no runtime import.

import { LabError } from '../errors';
import type { ModelSpec } from '../model/model-spec';

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * One digest per tensor (native speed, no copy unless the bytes live in shared memory), then one over the list.
 * `inspect` sees each tensor's fp32 values while they are in memory (the load's NaN/Inf check), so a lazily
 * read model is read once.
 */
export async function weightsHash(spec: ModelSpec, inspect?: (name: string, data: Float32Array) => void): Promise<string> {
  const names = [...spec.weights.keys()].sort();
  const lines: string[] = [];
  for (const name of names) {
    const { shape, data } = spec.weights.get(name)!;
    inspect?.(name, data);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const source = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    lines.push(`${name}|${shape.join('x')}|${hex(await crypto.subtle.digest('SHA-256', source as Uint8Array<ArrayBuffer>))}`);
  }
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(lines.join('\n'))));
}

/** Throws 'non-finite' naming the file and tensor when `data` holds NaN or ±Inf (a damaged file: every output would be NaN). */
export function checkFiniteWeights(weightsFile: string, name: string, data: Float32Array): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count > 0) {
    throw new LabError(
      'non-finite',
      `${weightsFile}: tensor '${name}' holds ${count} NaN or infinite value${count === 1 ? '' : 's'} (first at index ${first}, ${data[first]}); the weights are damaged and every output would be NaN`,
      { path: weightsFile, tensor: name, count, firstIndex: first },
    );
  }
}
