// Test helpers: ModelFileRefs from disk and a small safetensors writer (tests only).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFileRef } from '../../src/model/loaded-model';

export const storiesDir = fileURLToPath(new URL('../../public/models/stories260K/', import.meta.url));
export const genaiDir = fileURLToPath(new URL('../fixtures/models/stories260K-genai-style/', import.meta.url));

export function refsFrom(dir: string, paths: string[]): ModelFileRef[] {
  return paths.map((p) => ({ path: p, blob: new Blob([fs.readFileSync(path.join(dir, p))]) }));
}

export function refOf(pathName: string, bytes: Uint8Array | string): ModelFileRef {
  return { path: pathName, blob: new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]) };
}

export interface RawTensor {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16' | 'I8' | string;
  shape: number[];
  bytes: Uint8Array;
}

export function writeSafetensors(tensors: RawTensor[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.bytes, pos);
    pos += t.bytes.length;
  }
  return out;
}

export function f32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Seeded uniform(-scale, scale) values. */
export function randomFloats(count: number, seed: number, scale = 0.1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
