import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { bytesToFloat32, float16ToFloat32 } from '../../src/formats/dtype';
import { readSafetensorsHeader, readSafetensorsTensor } from '../../src/formats/safetensors';
import { refOf, writeSafetensors } from '../model/helpers';

function u16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(i * 2, v, true));
  return out;
}

describe('safetensors dtypes', () => {
  it('converts F16 and BF16 to fp32 exactly', async () => {
    // f16: 1.0, -2.0, 0.5, 65504 (max), smallest subnormal 2^-24; bf16: 1.0, -2.0, 3.140625
    const f16 = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001];
    const bf16 = [0x3f80, 0xc000, 0x4049];
    const file = writeSafetensors([
      { name: 'a', dtype: 'F16', shape: [5], bytes: u16(f16) },
      { name: 'b', dtype: 'BF16', shape: [3], bytes: u16(bf16) },
      { name: 'c', dtype: 'I8', shape: [2], bytes: new Uint8Array([1, 2]) },
    ]);
    const st = await readSafetensorsHeader(refOf('x.safetensors', file));
    expect(Array.from(await readSafetensorsTensor(st, 'a'))).toEqual([1, -2, 0.5, 65504, 2 ** -24]);
    expect(Array.from(await readSafetensorsTensor(st, 'b'))).toEqual([1, -2, 3.140625]);
    const err = await readSafetensorsTensor(st, 'c').catch((e: LabError) => e);
    expect(err).toMatchObject({ code: 'unsupported-format', message: "x.safetensors: tensor 'c' has dtype I8; supported dtypes are F32, F16 and BF16" });
  });

  it('handles f16 infinities/NaN and unaligned f32 views', () => {
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(float16ToFloat32(0x7e00))).toBe(true);
    const buf = new Uint8Array(9);
    new DataView(buf.buffer).setFloat32(1, 1.5, true);
    new DataView(buf.buffer).setFloat32(5, -3.25, true);
    expect(Array.from(bytesToFloat32(buf.subarray(1), 'float32'))).toEqual([1.5, -3.25]);
  });

  it('rejects a header whose offsets contradict the shape, and a header longer than the file', async () => {
    const file = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 2], bytes: new Uint8Array(16) }]);
    const text = new TextDecoder().decode(file).replace('"shape":[2,2]', '"shape":[2,3]');
    const bad = await readSafetensorsHeader(refOf('bad.safetensors', new TextEncoder().encode(text))).catch((e: LabError) => e);
    expect(bad).toMatchObject({ code: 'corrupt' });
    expect((bad as LabError).message).toMatch(/^bad\.safetensors: corrupt: tensor 'w' \(F32 \[2, 3\]\)/);
    const cut = await readSafetensorsHeader(refOf('cut.safetensors', file.slice(0, 20))).catch((e: LabError) => e);
    expect(cut).toMatchObject({ code: 'truncated' });
    expect((cut as LabError).message).toMatch(/^cut\.safetensors: truncated: header declares \d+ bytes of JSON but the file has 20/);
  });
});
