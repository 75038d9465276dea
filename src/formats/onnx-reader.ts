// Reads an ONNX ModelProto with a hand-written protobuf decoder (no dependency). The graph is walked
// in slices: large initializers' raw_data stays in the file as a byte range, so weights are not
// read twice. Bad protobuf becomes LabError 'corrupt'/'truncated' naming the file. Pure module.

import { LabError } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';
import { byteSourceFromFile, WindowedReader } from './byte-source';
import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-types';
import { ProtoError, ProtoReader, WireType } from './protobuf';

/** Embedded messages up to this size are decoded in memory; larger initializers are streamed. */
const INLINE_MESSAGE_BYTES = 1 << 20;

export async function readOnnxModel(file: ModelFileRef): Promise<OnnxModel> {
  const reader = new WindowedReader(byteSourceFromFile(file));
  try {
    return await parseModel(reader, file.path);
  } catch (error) {
    if (error instanceof ProtoError) {
      const code = error.pastEnd ? 'truncated' : 'corrupt';
      const what = error.pastEnd ? 'truncated' : 'corrupt ONNX protobuf';
      throw new LabError(code, `${file.path}: ${what}: ${error.message} (file has ${file.blob.size} bytes)`, {
        path: file.path,
      });
    }
    if (error instanceof ExternalDataError) {
      throw new LabError('corrupt', `${file.path}: corrupt: a tensor attribute's ${error.message}`, { path: file.path });
    }
    throw error;
  }
}

interface Header {
  field: number;
  wireType: number;
  /** Start of the payload (after tag and length). */
  payloadStart: number;
  /** End of the whole field. */
  fieldEnd: number;
  /** Decoded value of a varint field. */
  value: number;
}

async function readHeader(reader: WindowedReader, pos: number, end: number): Promise<Header> {
  const size = reader.source.size;
  const head = await reader.bytes(pos, Math.min(20, end - pos));
  const r = new ProtoReader(head, 0, head.length, end >= size);
  const { field, wireType } = r.tag();
  let value = 0;
  let length = 0;
  if (wireType === WireType.varint) value = r.varint();
  else if (wireType === WireType.bytes) length = r.varint();
  else length = wireType === WireType.fixed64 ? 8 : 4;
  const payloadStart = pos + r.pos;
  const fieldEnd = payloadStart + length;
  if (fieldEnd > end) {
    const pastFile = fieldEnd > size;
    throw new ProtoError(
      `field ${field} at byte ${pos} declares ${length} bytes but only ${end - payloadStart} remain`,
      pastFile,
    );
  }
  return { field, wireType, payloadStart, fieldEnd, value };
}

async function parseModel(reader: WindowedReader, path: string): Promise<OnnxModel> {
  const model: OnnxModel = {
    path,
    irVersion: 0,
    opsets: [],
    producerName: '',
    nodes: [],
    initializers: new Map(),
    inputs: [],
    outputs: [],
  };
  let sawGraph = false;
  const size = reader.source.size;
  for (let pos = 0; pos < size; ) {
    const h = await readHeader(reader, pos, size);
    if (h.field === 1 && h.wireType === WireType.varint) model.irVersion = h.value;
    else if (h.field === 2 && h.wireType === WireType.bytes) model.producerName = await stringAt(reader, h);
    else if (h.field === 8 && h.wireType === WireType.bytes) {
      const r = await messageAt(reader, h);
      const opset = { domain: '', version: 0 };
      while (!r.done()) {
        const t = r.tag();
        if (t.field === 1 && t.wireType === WireType.bytes) opset.domain = r.string();
        else if (t.field === 2 && t.wireType === WireType.varint) opset.version = r.varint();
        else r.skip(t.wireType);
      }
      model.opsets.push(opset);
    } else if (h.field === 7 && h.wireType === WireType.bytes) {
      await parseGraph(reader, h.payloadStart, h.fieldEnd, model);
      sawGraph = true;
    }
    pos = h.fieldEnd;
  }
  if (!sawGraph) throw new LabError('corrupt', `${path}: the ONNX ModelProto has no graph`, { path });
  return model;
}

async function messageAt(reader: WindowedReader, h: Header): Promise<ProtoReader> {
  const bytes = await reader.bytes(h.payloadStart, h.fieldEnd - h.payloadStart);
  return new ProtoReader(bytes, 0, bytes.length, false);
}

async function stringAt(reader: WindowedReader, h: Header): Promise<string> {
  return new TextDecoder().decode(await reader.bytes(h.payloadStart, h.fieldEnd - h.payloadStart));
}

async function parseGraph(reader: WindowedReader, start: number, end: number, model: OnnxModel): Promise<void> {
  for (let pos = start; pos < end; ) {
    const h = await readHeader(reader, pos, end);
    if (h.wireType === WireType.bytes) {
      if (h.field === 1) model.nodes.push(decodeNode(await messageAt(reader, h)));
      else if (h.field === 5) {
        let tensor: OnnxTensor;
        try {
          tensor =
            h.fieldEnd - h.payloadStart <= INLINE_MESSAGE_BYTES
              ? decodeTensor(await messageAt(reader, h))
              : await streamTensor(reader, h.payloadStart, h.fieldEnd);
        } catch (error) {
          if (!(error instanceof ExternalDataError)) throw error;
          const name = initializerNameAt(await reader.bytes(h.payloadStart, Math.min(h.fieldEnd - h.payloadStart, INLINE_MESSAGE_BYTES)));
          throw new LabError('corrupt', `${model.path}: corrupt: initializer ${name === null ? `at byte ${h.payloadStart}` : `'${name}'`}: ${error.message}`, { path: model.path, tensor: name });
        }
        // onnxruntime uses the first of two same-named initializers, a Map the last: refuse, never pick one.
        if (model.initializers.has(tensor.name)) {
          throw new LabError(
            'corrupt',
            `${model.path}: corrupt: initializer '${tensor.name}' appears twice in the graph; the copies may hold different values and readers disagree on which one counts`,
            { path: model.path, tensor: tensor.name },
          );
        }
        model.initializers.set(tensor.name, tensor);
      } else if (h.field === 11) model.inputs.push(decodeValueInfo(await messageAt(reader, h)));
      else if (h.field === 12) model.outputs.push(decodeValueInfo(await messageAt(reader, h)));
    }
    pos = h.fieldEnd;
  }
}

/** The name (field 8) of a TensorProto, best effort, for an error message; null if not found. */
function initializerNameAt(bytes: Uint8Array): string | null {
  const r = new ProtoReader(bytes, 0, bytes.length, false);
  try {
    while (!r.done()) {
      const t = r.tag();
      if (t.field === 8 && t.wireType === WireType.bytes) return r.string();
      r.skip(t.wireType);
    }
  } catch {
    // a damaged tensor: no name
  }
  return null;
}

function emptyTensor(): OnnxTensor {
  return {
    name: '',
    dims: [],
    dataType: 0,
    rawData: null,
    rawDataRange: null,
    floatData: [],
    int32Data: [],
    int64Data: [],
    dataLocation: 0,
    externalData: null,
  };
}

/** A large TensorProto: every field but raw_data is decoded; raw_data is left as a file range. */
async function streamTensor(reader: WindowedReader, start: number, end: number): Promise<OnnxTensor> {
  const tensor = emptyTensor();
  for (let pos = start; pos < end; ) {
    const h = await readHeader(reader, pos, end);
    if (h.field === 9 && h.wireType === WireType.bytes) {
      tensor.rawDataRange = { offset: h.payloadStart, length: h.fieldEnd - h.payloadStart };
    } else {
      const bytes = await reader.bytes(pos, h.fieldEnd - pos);
      const r = new ProtoReader(bytes, 0, bytes.length, false);
      decodeTensorField(r, r.tag(), tensor);
    }
    pos = h.fieldEnd;
  }
  return tensor;
}

/** A bad external-data entry: the caller names the file and the tensor. */
class ExternalDataError extends Error {}

export function decodeTensor(r: ProtoReader): OnnxTensor {
  const tensor = emptyTensor();
  while (!r.done()) decodeTensorField(r, r.tag(), tensor);
  return tensor;
}

function decodeTensorField(r: ProtoReader, t: { field: number; wireType: number }, tensor: OnnxTensor): void {
  switch (t.field) {
    case 1: return r.varints(t.wireType, tensor.dims);
    case 2: tensor.dataType = r.varint(); return;
    case 4: return r.floats(t.wireType, tensor.floatData);
    case 5: return r.varints(t.wireType, tensor.int32Data);
    case 7: return r.varints(t.wireType, tensor.int64Data);
    case 8: tensor.name = r.string(); return;
    case 9: tensor.rawData = r.bytesField(); return;
    case 13: {
      const entry = r.message();
      let key = '';
      let value = '';
      while (!entry.done()) {
        const e = entry.tag();
        if (e.field === 1) key = entry.string();
        else if (e.field === 2) value = entry.string();
        else entry.skip(e.wireType);
      }
      const ext = tensor.externalData ?? { location: '', offset: 0, length: null };
      if (key === 'location') ext.location = value;
      else if (key === 'offset' || key === 'length') {
        // Decimal digits only: Number() would read '0x10' as 16, ' 8' as 8 and '' as 0, where onnxruntime reads otherwise or fails.
        if (!/^[0-9]{1,16}$/.test(value)) {
          throw new ExternalDataError(`external data ${key} '${value.slice(0, 40)}' is not a whole number of bytes`);
        }
        ext[key] = Number(value);
      }
      tensor.externalData = ext;
      return;
    }
    case 14: tensor.dataLocation = r.varint(); return;
    default: r.skip(t.wireType);
  }
}

function decodeNode(r: ProtoReader): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  while (!r.done()) {
    const t = r.tag();
    if (t.wireType !== WireType.bytes) {
      r.skip(t.wireType);
      continue;
    }
    if (t.field === 1) node.inputs.push(r.string());
    else if (t.field === 2) node.outputs.push(r.string());
    else if (t.field === 3) node.name = r.string();
    else if (t.field === 4) node.opType = r.string();
    else if (t.field === 7) node.domain = r.string();
    else if (t.field === 5) node.attributes.push(decodeAttribute(r.message()));
    else r.skip(t.wireType);
  }
  return node;
}

function decodeAttribute(r: ProtoReader): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0 };
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1) a.name = r.string();
    else if (t.field === 20) a.type = r.varint();
    else if (t.field === 2 && t.wireType === WireType.fixed32) a.f = r.float32();
    else if (t.field === 3 && t.wireType === WireType.varint) a.i = r.varint();
    else if (t.field === 4 && t.wireType === WireType.bytes) a.s = r.bytesField();
    else if (t.field === 5 && t.wireType === WireType.bytes) a.t = decodeTensor(r.message());
    else if (t.field === 7) r.floats(t.wireType, (a.floats ??= []));
    else if (t.field === 8) r.varints(t.wireType, (a.ints ??= []));
    else r.skip(t.wireType);
  }
  return a;
}

function decodeValueInfo(r: ProtoReader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, dims: [] };
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1 && t.wireType === WireType.bytes) info.name = r.string();
    else if (t.field === 2 && t.wireType === WireType.bytes) {
      const type = r.message();
      while (!type.done()) {
        const tt = type.tag();
        if (tt.field === 1 && tt.wireType === WireType.bytes) decodeTensorType(type.message(), info);
        else type.skip(tt.wireType);
      }
    } else r.skip(t.wireType);
  }
  return info;
}

function decodeTensorType(r: ProtoReader, info: OnnxValueInfo): void {
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1 && t.wireType === WireType.varint) info.elemType = r.varint();
    else if (t.field === 2 && t.wireType === WireType.bytes) {
      const shape = r.message();
      while (!shape.done()) {
        const st = shape.tag();
        if (st.field !== 1 || st.wireType !== WireType.bytes) {
          shape.skip(st.wireType);
          continue;
        }
        const dim = shape.message();
        let value: number | string | null = null;
        while (!dim.done()) {
          const dt = dim.tag();
          if (dt.field === 1 && dt.wireType === WireType.varint) value = dim.varint();
          else if (dt.field === 2 && dt.wireType === WireType.bytes) value = dim.string();
          else dim.skip(dt.wireType);
        }
        info.dims.push(value);
      }
    } else r.skip(t.wireType);
  }
}
