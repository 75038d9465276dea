// Writes safetensors: u64 LE header length, JSON header, raw little-endian tensor bytes.
// Returns the file as a list of parts (header + one view per tensor) so callers can stream it
// to disk or into a Blob without assembling one big buffer. Pure: no Node or DOM imports.

import { float32ToFloat16Bytes } from '../formats/dtype';
export { float32ToFloat16, float32ToFloat16Bytes } from '../formats/dtype';

export type SafetensorsDtype = 'F32' | 'F16';

export interface SafetensorsEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  parts: Uint8Array[];
  byteLength: number;
}

/** Header padding to 8 bytes, as the reference implementation does, so tensor data stays aligned. */
const ALIGN = 8;

export function writeSafetensors(
  entries: SafetensorsEntry[],
  options: { dtype?: SafetensorsDtype; metadata?: Record<string, string> } = {},
): SafetensorsFile {
  const dtype = options.dtype ?? 'F32';
  const bytesPerElement = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (count !== e.data.length) throw new Error(`${e.name}: shape [${e.shape}] has ${count} elements, data has ${e.data.length}`);
    const end = offset + count * bytesPerElement;
    header[e.name] = { dtype, shape: e.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  const pad = (ALIGN - ((8 + new TextEncoder().encode(json).length) % ALIGN)) % ALIGN;
  json += ' '.repeat(pad);
  const jsonBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + jsonBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  head.set(jsonBytes, 8);
  const parts: Uint8Array[] = [head];
  for (const e of entries) {
    parts.push(dtype === 'F32' ? littleEndianF32(e.data) : float32ToFloat16Bytes(e.data));
  }
  return { parts, byteLength: head.length + offset };
}

function littleEndianF32(data: Float32Array): Uint8Array {
  // Typed arrays are little-endian on every platform browsers and Node run on.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

