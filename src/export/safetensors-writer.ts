// Writes safetensors: u64 LE header length, JSON header, raw little-endian tensor bytes.
// Returns the file as a list of parts (header + one view per tensor) so callers can stream it
// to disk or into a Blob without assembling one big buffer. Pure: no Node or DOM imports.

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

export function float32ToFloat16Bytes(data: Float32Array): Uint8Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = float32ToFloat16(data[i]);
  return new Uint8Array(out.buffer);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16, round to nearest even; overflow → ±Inf, NaN kept. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}
