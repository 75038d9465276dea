// Numbers read from files are checked before they are used (issue 14's first crashes and silent wrong
// answers): fractional or non-numeric safetensors data_offsets and ONNX external-data offsets are
// 'corrupt' errors naming the file and tensor, never a native abort in Blob.slice; safetensors tensors must
// tile the data (no overlap, no gap) and the file must end with the last tensor, so a header length off
// by 4 bytes (every weight shifted) is refused instead of loading wrong weights.

import { describe, expect, it } from 'vitest';
import { byteSourceFromFile } from '../../src/formats/byte-source';
import { tensorRawBytes } from '../../src/formats/onnx-tensor';
import type { OnnxModel, OnnxTensor } from '../../src/formats/onnx-types';
import { firstDuplicateKey } from '../../src/formats/json-duplicate-key';
import { readSafetensorsHeader } from '../../src/formats/safetensors';

/** A safetensors file from a header object and data bytes; `lengthDelta` misstates the header length; `pad` spaces pad the JSON. */
function safetensors(header: Record<string, unknown>, data: Uint8Array, { lengthDelta = 0, pad = 0 } = {}): { path: string; blob: Blob } {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length + lengthDelta), true);
  return { path: 'model.safetensors', blob: new Blob([length, json, data as BlobPart]) };
}

const two = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
const data16 = new Uint8Array(16);

describe('hostile offsets', () => {
  it('a well-formed file reads', async () => {
    const file = await readSafetensorsHeader(safetensors(two, data16));
    expect([...file.entries.keys()].sort()).toEqual(['a', 'b']);
  });

  it.each([
    ['a fractional offset', { ...two, b: { dtype: 'F32', shape: [2], data_offsets: [8.5, 16.5] } }, /tensor 'b' has data_offsets \[8\.5,16\.5\]; they must be whole byte offsets/],
    ['a string offset', { ...two, b: { dtype: 'F32', shape: [2], data_offsets: ['abc', 16] } }, /tensor 'b' has data_offsets \["abc",16\]/],
    ['a fractional dimension', { ...two, b: { dtype: 'F32', shape: [2.5], data_offsets: [8, 16] } }, /tensor 'b' has shape \[2\.5\]/],
    ['overlapping tensors', { ...two, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, /the tensors overlap/],
  ])('%s is corrupt, naming the file and tensor', async (_name, header, message) => {
    const bytes = _name === 'overlapping tensors' ? new Uint8Array(12) : data16;
    await expect(readSafetensorsHeader(safetensors(header, bytes))).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(message) });
    await expect(readSafetensorsHeader(safetensors(header, bytes))).rejects.toMatchObject({ message: expect.stringMatching(/^model\.safetensors: /) });
  });

  it('a gap between tensors, or bytes after the last one (a header length 4 short), is corrupt', async () => {
    const gap = { a: two.a, b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] } };
    await expect(readSafetensorsHeader(safetensors(gap, new Uint8Array(20)))).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/there is a gap/) });
    // The JSON padded with 4 spaces and the length declared 4 short: still valid JSON, every weight 4 bytes early.
    const shifted = safetensors(two, data16, { pad: 4, lengthDelta: -4 });
    await expect(readSafetensorsHeader(shifted)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/4 bytes follow the last tensor's data; the header length/) });
  });

  it('a tensor named twice in the header is corrupt (JSON.parse would keep the last copy silently)', async () => {
    const json = `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`;
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
    const file = { path: 'model.safetensors', blob: new Blob([length, json, data16 as BlobPart]) };
    await expect(readSafetensorsHeader(file)).rejects.toMatchObject({ code: 'corrupt', message: "model.safetensors: corrupt: the header lists tensor 'a' twice" });
    // A key twice inside one entry is ambiguous too; equal keys in different objects, strings equal to keys
    // and escaped quotes are not repeats.
    const inner = `{"a":{"dtype":"F32","shape":[2],"shape":[4],"data_offsets":[0,8]}}`;
    const innerLength = new Uint8Array(8);
    new DataView(innerLength.buffer).setBigUint64(0, BigInt(inner.length), true);
    await expect(readSafetensorsHeader({ path: 'model.safetensors', blob: new Blob([innerLength, inner, new Uint8Array(8)]) })).rejects.toMatchObject({
      message: "model.safetensors: corrupt: the header lists the key 'shape' (inside one entry) twice",
    });
    expect(firstDuplicateKey('{"x":{"k":1,"j":2},"y\\"":[{"x":1},{"x":2}],"z":"x","k":{"k":1}}')).toBeNull();
    expect(firstDuplicateKey('{"x":1, "y":{"x":2} ,"x" :3}')).toBe('x');
    expect(firstDuplicateKey('{"x":[{"k":1,"k":2}]}')).toBe('k');
  });

  it('a cut file is still "truncated", not corrupt', async () => {
    await expect(readSafetensorsHeader(safetensors(two, new Uint8Array(12)))).rejects.toMatchObject({ code: 'truncated' });
  });

  it('an ONNX external-data offset that is not a number is corrupt, before any read', async () => {
    const weights = { path: 'onnx/model.onnx_data', blob: new Blob([new Uint8Array(64)]) };
    const onnx = { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(8)]) };
    const tensor: OnnxTensor = {
      name: 'w', dims: [4], dataType: 1, rawData: null, rawDataRange: null, floatData: [], int32Data: [], int64Data: [],
      dataLocation: 1, externalData: { location: 'model.onnx_data', offset: Number('abc'), length: 16 },
    };
    const src = { model: { initializers: new Map([['w', tensor]]) } as unknown as OnnxModel, file: onnx, allFiles: [onnx, weights] };
    await expect(tensorRawBytes(src, tensor)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/onnx\/model\.onnx: corrupt: tensor 'w' has external data offset NaN/) });
    await expect(tensorRawBytes(src, { ...tensor, externalData: { location: 'model.onnx_data', offset: 1.5, length: 16 } })).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('the byte source itself refuses fractional offsets and lengths', async () => {
    const source = byteSourceFromFile({ path: 'x.bin', blob: new Blob([new Uint8Array(16)]) });
    await expect(source.read(0.5, 4)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/^x\.bin: corrupt/) });
    await expect(source.read(0, Number.NaN)).rejects.toMatchObject({ code: 'corrupt' });
    expect((await source.read(4, 4)).length).toBe(4);
  });
});
