// Little-endian byte → Float32Array conversions for the float dtypes we accept (f32, f16, bf16).
// Pure; copies once into a fresh, aligned Float32Array.

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function bytesToFloat32(bytes: Uint8Array, dtype: 'float32' | 'float16' | 'bfloat16'): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'float32') {
    const out = new Float32Array(bytes.byteLength / 4);
    if (bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, out.length));
    else for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float32Array(bytes.byteLength / 2);
  if (dtype === 'float16') {
    for (let i = 0; i < out.length; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
  } else {
    // bf16 is the top half of an fp32: shift into place through a shared u32 view.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  }
  return out;
}

/** [rows, cols] row-major → [cols, rows] row-major. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

export function float32ToFloat16Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(float32ToFloat16Array(data).buffer);
}

export function float32ToFloat16Array(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = float32ToFloat16(data[i]);
  return out;
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
