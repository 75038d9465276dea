import { describe, expect, it } from 'vitest';
import { float32ToFloat16, writeSafetensors } from '../../src/export/safetensors-writer';
import { concatBytes } from '../helpers/bytes';

describe('writeSafetensors', () => {
  it('writes an 8-byte-aligned header whose offsets locate each tensor', () => {
    const a = Float32Array.from([1, -2, 3.5, 4, 5, 6]);
    const b = Float32Array.from([0.25]);
    const file = writeSafetensors([
      { name: 'a', shape: [2, 3], data: a },
      { name: 'b', shape: [1], data: b },
    ]);
    const bytes = concatBytes(file.parts);
    expect(bytes.length).toBe(file.byteLength);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    const start = 8 + headerLength;
    const [b0, b1] = header.b.data_offsets;
    expect(Array.from(new Float32Array(bytes.slice(start, start + 24).buffer))).toEqual(Array.from(a));
    expect(new Float32Array(bytes.slice(start + b0, start + b1).buffer)[0]).toBe(0.25);
  });

  it('refuses data that does not fit the shape', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [3], data: new Float32Array(2) }])).toThrow(/x: shape \[3\]/);
  });
});

describe('float32ToFloat16', () => {
  it('rounds to nearest even and handles subnormals, overflow and NaN', () => {
    expect(float32ToFloat16(1)).toBe(0x3c00);
    expect(float32ToFloat16(-2)).toBe(0xc000);
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(1e6)).toBe(0x7c00);
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16(2 ** -26)).toBe(0);
    expect(float32ToFloat16(NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16(NaN) & 0x3ff).not.toBe(0);
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even → 1.
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
});
