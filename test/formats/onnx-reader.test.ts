import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { readOnnxModel } from '../../src/formats/onnx-reader';
import { externalDataFiles, tensorToFloat32 } from '../../src/formats/onnx-tensor';
import { f32Bytes, refOf, storiesDir } from '../model/helpers';

// A tiny protobuf writer, enough to build ModelProtos for the reader (tests only).
const varint = (v: number): number[] => {
  const out: number[] = [];
  while (v >= 0x80) { out.push((v % 128) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
  return out;
};
const field = (n: number, payload: Uint8Array | number[] | string): number[] => {
  const bytes = typeof payload === 'string' ? Array.from(new TextEncoder().encode(payload)) : Array.from(payload);
  return [...varint(n * 8 + 2), ...varint(bytes.length), ...bytes];
};
const intField = (n: number, v: number) => [...varint(n * 8), ...varint(v)];

function modelProto(initializers: number[][], extra: number[] = []): Uint8Array {
  const graph = [...initializers.flatMap((t) => field(5, t)), ...field(2, 'g'), ...extra];
  return new Uint8Array([...intField(1, 8), ...field(8, [...field(1, ''), ...intField(2, 17)]), ...field(7, graph)]);
}

function externalTensor(name: string, location: string, offset: number, length: number): number[] {
  const entry = (k: string, v: string) => field(13, [...field(1, k), ...field(2, v)]);
  return [...intField(1, 2), ...intField(1, 2), ...intField(2, 1), ...field(8, name), ...entry('location', location), ...entry('offset', String(offset)), ...entry('length', String(length)), ...intField(14, 1)];
}

/** Top-level fields of a protobuf message in bytes[start, end): [field number, start, payload start, end]. */
function protoFields(b: Uint8Array, start: number, end: number): { field: number; start: number; payloadStart: number; end: number }[] {
  const readVarint = (pos: number): [number, number] => {
    let v = 0;
    for (let mul = 1; ; mul *= 128) {
      const x = b[pos++];
      v += (x & 0x7f) * mul;
      if (!(x & 0x80)) return [v, pos];
    }
  };
  const out = [];
  for (let pos = start; pos < end; ) {
    const [tag, p1] = readVarint(pos);
    const wire = tag & 7;
    const [len, p2] = wire === 2 ? readVarint(p1) : [0, p1];
    const fieldEnd = wire === 0 ? readVarint(p1)[1] : wire === 2 ? p2 + len : p1 + (wire === 1 ? 8 : 4);
    out.push({ field: Math.floor(tag / 8), start: pos, payloadStart: p2, end: fieldEnd });
    pos = fieldEnd;
  }
  return out;
}

describe('readOnnxModel', () => {
  it('reads the real Optimum export: opset, I/O value infos with dim_param, nodes and initializers', async () => {
    const file = refOf('onnx/model.onnx', new Uint8Array(fs.readFileSync(path.join(storiesDir, 'onnx/model.onnx'))));
    const m = await readOnnxModel(file);
    expect(m.irVersion).toBe(7);
    expect(m.opsets).toEqual([{ domain: '', version: 14 }]);
    expect(m.inputs[0]).toEqual({ name: 'input_ids', elemType: 7, dims: ['batch_size', 'sequence_length'] });
    expect(m.outputs[0].dims).toEqual(['batch_size', 'sequence_length', 512]);
    const q = m.nodes.find((n) => n.name === '/model/layers.0/self_attn/q_proj/MatMul')!;
    expect(q.opType).toBe('MatMul');
    expect(m.initializers.get(q.inputs[1])!.dims).toEqual([64, 64]);
  });

  it('resolves external data by location in the same folder, else anywhere; missing → missing-file naming both', async () => {
    const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const bytes = modelProto([externalTensor('w', 'model.onnx_data', 8, 16)]);
    const data = new Uint8Array(24);
    data.set(f32Bytes(values), 0);
    const onnx = refOf('onnx/model.onnx', bytes);
    const m = await readOnnxModel(onnx);
    const w = m.initializers.get('w')!;
    expect(w.externalData).toEqual({ location: 'model.onnx_data', offset: 8, length: 16 });
    const elsewhere = refOf('other/model.onnx_data', new Uint8Array(24));
    const sameDir = refOf('onnx/model.onnx_data', data);
    const src = { model: m, file: onnx, allFiles: [onnx, elsewhere, sameDir] };
    expect(Array.from(await tensorToFloat32(src, w))).toEqual([3, 4, 5, 6]);
    expect(externalDataFiles(src)).toEqual([sameDir]);
    const missing = await tensorToFloat32({ model: m, file: onnx, allFiles: [onnx] }, w).catch((e: LabError) => e);
    expect(missing).toMatchObject({ code: 'missing-file' });
    expect((missing as LabError).message).toMatch(/^onnx\/model\.onnx: .*'model\.onnx_data'.*not among the dropped files/);
  });

  it('leaves a large raw_data in the file and reads it back by range', async () => {
    const values = Float32Array.from({ length: 300_000 }, (_, i) => i * 0.5);
    const tensor = [...intField(1, 300_000), ...intField(2, 1), ...field(8, 'big'), ...field(9, f32Bytes(values))];
    const file = refOf('big.onnx', modelProto([tensor]));
    const m = await readOnnxModel(file);
    const t = m.initializers.get('big')!;
    expect(t.rawData).toBeNull();
    expect(t.rawDataRange!.length).toBe(1_200_000);
    const read = await tensorToFloat32({ model: m, file, allFiles: [file] }, t);
    expect(read[299_999]).toBe(299_999 * 0.5);
  });

  it('refuses two initializers with the same name as corrupt, naming the file and the initializer', async () => {
    // onnxruntime uses the first copy, a Map the last: the lab and the import check would disagree.
    const real = new Uint8Array(fs.readFileSync(path.join(storiesDir, 'onnx/model.onnx')));
    const m = await readOnnxModel(refOf('onnx/model.onnx', real));
    const name = m.nodes.find((n) => n.name === '/model/layers.0/self_attn/q_proj/MatMul')!.inputs[1];
    const top = protoFields(real, 0, real.length);
    const graph = top.find((f) => f.field === 7)!;
    const graphFields = protoFields(real, graph.payloadStart, graph.end);
    const nameOf = (f: { payloadStart: number; end: number }) => {
      const n = protoFields(real, f.payloadStart, f.end).find((g) => g.field === 8)!;
      return new TextDecoder().decode(real.subarray(n.payloadStart, n.end));
    };
    const init = graphFields.find((f) => f.field === 5 && nameOf(f) === name)!;
    // The copy holds other values (raw_data zeroed) and comes last, where a Map would keep it.
    const copy = Uint8Array.from(real.subarray(init.start, init.end));
    const raw = protoFields(real, init.payloadStart, init.end).find((g) => g.field === 9)!;
    copy.fill(0, raw.payloadStart - init.start, raw.end - init.start);
    const concat = (parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
      return out;
    };
    const rebuild = (extra: Uint8Array) => {
      const graphBytes = concat([...graphFields.map((f) => real.subarray(f.start, f.end)), extra]);
      const graphField = concat([Uint8Array.from(varint(7 * 8 + 2)), Uint8Array.from(varint(graphBytes.length)), graphBytes]);
      return concat(top.map((f) => (f === graph ? graphField : real.subarray(f.start, f.end))));
    };
    // Control: the same re-encoding without the copy reads, with the original values.
    const control = await readOnnxModel(refOf('onnx/model.onnx', rebuild(new Uint8Array(0))));
    expect(control.initializers.get(name)!.rawData).toEqual(m.initializers.get(name)!.rawData);
    const error = await readOnnxModel(refOf('onnx/model.onnx', rebuild(copy))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabError);
    expect(error).toMatchObject({ code: 'corrupt', details: { path: 'onnx/model.onnx', tensor: name } });
    expect((error as LabError).message).toBe(
      `onnx/model.onnx: corrupt: initializer '${name}' appears twice in the graph; the copies may hold different values and readers disagree on which one counts`,
    );
  });

  it('external data offset and length must be decimal digits (not 0x10, " 8" or empty), named with the initializer', async () => {
    for (const bad of ['0x10', ' 8', '', '2.5', '-1', 'abc']) {
      const entry = (k: string, v: string) => field(13, [...field(1, k), ...field(2, v)]);
      const tensor = [...intField(1, 2), ...intField(2, 1), ...field(8, 'w'), ...entry('location', 'model.onnx_data'), ...entry('offset', bad), ...intField(14, 1)];
      const error = await readOnnxModel(refOf('onnx/model.onnx', modelProto([tensor]))).catch((e: unknown) => e);
      expect(error, JSON.stringify(bad)).toMatchObject({ code: 'corrupt' });
      expect((error as LabError).message).toBe(`onnx/model.onnx: corrupt: initializer 'w': external data offset '${bad}' is not a whole number of bytes`);
    }
  });

  it('reports truncation and corruption as LabErrors naming the file, never a RangeError', async () => {
    const real = new Uint8Array(fs.readFileSync(path.join(storiesDir, 'onnx/model.onnx')));
    const cut = await readOnnxModel(refOf('onnx/model.onnx', real.slice(0, 5000))).catch((e) => e);
    expect(cut).toMatchObject({ code: 'truncated' });
    expect((cut as LabError).message).toMatch(/^onnx\/model\.onnx: truncated/);
    const badWire = modelProto([], [0x0f, 1, 2, 3]); // field 1, wire type 7 inside the graph
    const bad = await readOnnxModel(refOf('bad.onnx', badWire)).catch((e) => e);
    expect(bad).toMatchObject({ code: 'corrupt' });
    expect((bad as LabError).message).toMatch(/^bad\.onnx: corrupt ONNX protobuf/);
    let s = 99;
    const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
    for (let trial = 0; trial < 60; trial++) {
      const mutated = real.slice(0, 200_000);
      for (let k = 0; k < 20; k++) mutated[rand() % mutated.length] = rand() >>> 24;
      const result = await readOnnxModel(refOf('m.onnx', mutated)).then(() => null, (e) => e);
      if (result !== null) expect(result, String(result)).toBeInstanceOf(LabError);
    }
  });
});
