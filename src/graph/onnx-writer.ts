// Hand-written protobuf ENCODER for ONNX ModelProto (no dependency). Two passes: sizes first, then
// one preallocated buffer, so tensor bytes are copied exactly once. Pure: imports nothing else.

export const TensorType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  double: 11,
} as const;
export type TensorElemType = (typeof TensorType)[keyof typeof TensorType];

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

/** Bytes per element of each TensorType (what raw_data holds). */
export const tensorElemBytes: Record<TensorElemType, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };

/** Byte length of a tensor's raw data from its type and dims (without touching `data`). */
export function tensorByteLength(t: Pick<OnnxTensor, 'dataType' | 'dims'>): number {
  return t.dims.reduce((n, d) => n * d, 1) * tensorElemBytes[t.dataType];
}

/**
 * A tensor whose `data` is computed on each access (a getter): builders describe weights without
 * holding them, and whoever encodes the graph (the writer, an external-data writer) materialises one
 * tensor at a time. Read `data` once per use.
 */
export function lazyTensor(name: string, dataType: TensorElemType, dims: number[], compute: () => TensorData): OnnxTensor {
  return {
    name,
    dataType,
    dims,
    get data() {
      return compute();
    },
  };
}

export interface OnnxTensor {
  name: string;
  dataType: TensorElemType;
  dims: number[];
  /** Raw little-endian element bytes (written as raw_data, not copied until the final write). */
  data: TensorData;
  /**
   * Stored outside the model (ONNX external data): `data` is then NOT written; the caller writes its
   * bytes into the file `location` (relative to the model) at `offset`. For models over protobuf's 2 GB.
   */
  external?: { location: string; offset: number; length: number };
}

export type OnnxAttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  attributes?: Record<string, OnnxAttributeValue>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: TensorElemType;
  /** A number for a fixed dim, a string for a symbolic one (e.g. 'batch_size'). */
  dims: (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

// ---- wire-level message tree -------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

type Field =
  | { no: number; t: 'varint'; v: number }
  | { no: number; t: 'f32'; v: number }
  | { no: number; t: 'bytes'; v: Uint8Array }
  | { no: number; t: 'lazy'; length: number; v: () => Uint8Array }
  | { no: number; t: 'msg'; v: Msg };

/** A message with its fields and (after sizing) its encoded length. */
class Msg {
  readonly fields: Field[] = [];
  size = -1;
  varint(no: number, v: number): this {
    this.fields.push({ no, t: 'varint', v });
    return this;
  }
  f32(no: number, v: number): this {
    this.fields.push({ no, t: 'f32', v });
    return this;
  }
  bytes(no: number, v: Uint8Array): this {
    this.fields.push({ no, t: 'bytes', v });
    return this;
  }
  /** Bytes of a known length produced only when written (a lazy tensor's raw_data). */
  lazyBytes(no: number, length: number, v: () => Uint8Array): this {
    this.fields.push({ no, t: 'lazy', length, v });
    return this;
  }
  str(no: number, v: string): this {
    return this.bytes(no, utf8.encode(v));
  }
  msg(no: number, v: Msg): this {
    this.fields.push({ no, t: 'msg', v });
    return this;
  }
}

const utf8 = new TextEncoder();

function varintSize(v: number): number {
  if (v < 0) return 10; // negative int64: two's complement, always 10 bytes
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function sizeOf(m: Msg): number {
  let n = 0;
  for (const f of m.fields) {
    const tag = varintSize(f.no << 3);
    if (f.t === 'varint') n += tag + varintSize(f.v);
    else if (f.t === 'f32') n += tag + 4;
    else {
      const len = f.t === 'bytes' ? f.v.byteLength : f.t === 'lazy' ? f.length : sizeOf(f.v);
      n += tag + varintSize(len) + len;
    }
  }
  m.size = n;
  return n;
}

class Writer {
  pos = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  varint(v: number): void {
    if (v < 0) {
      let b = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 10; i++) {
        const byte = Number(b & 0x7fn);
        b >>= 7n;
        this.buf[this.pos++] = i < 9 ? byte | 0x80 : byte;
      }
      return;
    }
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  write(m: Msg): void {
    for (const f of m.fields) {
      if (f.t === 'varint') {
        this.varint((f.no << 3) | WIRE_VARINT);
        this.varint(f.v);
      } else if (f.t === 'f32') {
        this.varint((f.no << 3) | WIRE_FIXED32);
        this.view.setFloat32(this.pos, f.v, true);
        this.pos += 4;
      } else if (f.t === 'bytes') {
        this.varint((f.no << 3) | WIRE_BYTES);
        this.varint(f.v.byteLength);
        this.buf.set(f.v, this.pos);
        this.pos += f.v.byteLength;
      } else if (f.t === 'lazy') {
        const bytes = f.v();
        if (bytes.byteLength !== f.length) throw new Error(`onnx-writer: lazy field produced ${bytes.byteLength} bytes, declared ${f.length}`);
        this.varint((f.no << 3) | WIRE_BYTES);
        this.varint(f.length);
        this.buf.set(bytes, this.pos);
        this.pos += f.length;
      } else {
        this.varint((f.no << 3) | WIRE_BYTES);
        this.varint(f.v.size);
        this.write(f.v);
      }
    }
  }
}

// ---- ONNX messages (field numbers from onnx.proto) ---------------------------------------

function tensorMsg(t: OnnxTensor): Msg {
  const m = new Msg();
  for (const d of t.dims) m.varint(1, d);
  m.varint(2, t.dataType);
  m.str(8, t.name);
  if (t.external) {
    const entry = (key: string, value: string) => new Msg().str(1, key).str(2, value);
    m.msg(13, entry('location', t.external.location));
    m.msg(13, entry('offset', String(t.external.offset)));
    m.msg(13, entry('length', String(t.external.length)));
    return m.varint(14, 1); // data_location = EXTERNAL
  }
  // Little-endian hosts only (every browser and Node platform we target). Read `data` only when
  // writing, so a lazy tensor is materialised one at a time.
  m.lazyBytes(9, tensorByteLength(t), () => tensorBytes(t.data));
  return m;
}

export function tensorBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const AttrType = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function attributeMsg(name: string, a: OnnxAttributeValue): Msg {
  const m = new Msg().str(1, name);
  switch (a.kind) {
    case 'float':
      m.f32(2, a.value);
      break;
    case 'int':
      m.varint(3, a.value);
      break;
    case 'string':
      m.str(4, a.value);
      break;
    case 'tensor':
      m.msg(5, tensorMsg(a.value));
      break;
    case 'floats':
      for (const v of a.value) m.f32(7, v);
      break;
    case 'ints':
      for (const v of a.value) m.varint(8, v);
      break;
  }
  return m.varint(20, AttrType[a.kind]);
}

function nodeMsg(n: OnnxNode): Msg {
  const m = new Msg();
  for (const i of n.inputs) m.str(1, i);
  for (const o of n.outputs) m.str(2, o);
  m.str(3, n.name).str(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) m.msg(5, attributeMsg(k, v));
  if (n.domain) m.str(7, n.domain);
  return m;
}

function valueInfoMsg(v: OnnxValueInfo): Msg {
  const shape = new Msg();
  for (const d of v.dims) shape.msg(1, typeof d === 'number' ? new Msg().varint(1, d) : new Msg().str(2, d));
  const tensorType = new Msg().varint(1, v.elemType).msg(2, shape);
  return new Msg().str(1, v.name).msg(2, new Msg().msg(1, tensorType));
}

/** Encodes a ModelProto into one freshly allocated buffer of exactly the right size. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new Msg();
  for (const n of model.nodes) graph.msg(1, nodeMsg(n));
  graph.str(2, model.graphName);
  for (const t of model.initializers) graph.msg(5, tensorMsg(t));
  for (const v of model.inputs) graph.msg(11, valueInfoMsg(v));
  for (const v of model.outputs) graph.msg(12, valueInfoMsg(v));

  const root = new Msg().varint(1, model.irVersion).str(2, model.producerName);
  root.msg(7, graph);
  for (const o of model.opsets) root.msg(8, new Msg().str(1, o.domain).varint(2, o.version));

  const out = new Uint8Array(sizeOf(root));
  const w = new Writer(out);
  w.write(root);
  if (w.pos !== out.length) throw new Error(`onnx-writer: wrote ${w.pos} bytes, sized ${out.length}`);
  return out;
}
