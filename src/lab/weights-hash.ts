// The identity of a model's weights: SHA-256 over every tensor's canonical name, shape and fp32 bytes,
// in name order (crypto.subtle, in workers and Node alike). Runs are tied to it. Pure: no runtime import.

import type { ModelSpec } from '../model/model-spec';

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** One digest per tensor (native speed, no copy unless the bytes live in shared memory), then one over the list. */
export async function weightsHash(spec: ModelSpec): Promise<string> {
  const names = [...spec.weights.keys()].sort();
  const lines: string[] = [];
  for (const name of names) {
    const { shape, data } = spec.weights.get(name)!;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const source = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    lines.push(`${name}|${shape.join('x')}|${hex(await crypto.subtle.digest('SHA-256', source as Uint8Array<ArrayBuffer>))}`);
  }
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(lines.join('\n'))));
}
