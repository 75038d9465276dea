// Bytes and fp32 values of ONNX initializers: inline raw_data, raw_data left in the .onnx file, or
// external data in another dropped file (resolved by `location`). Pure module.

import { LabError } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';
import { byteSourceFromFile } from './byte-source';
import { bytesToFloat32 } from './dtype';
import { OnnxDataType, type OnnxModel, type OnnxTensor } from './onnx-types';

export interface OnnxWeightsSource {
  model: OnnxModel;
  file: ModelFileRef;
  /** Every dropped file, to resolve external data. */
  allFiles: ModelFileRef[];
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** External data: same folder as the .onnx first (by basename), else any dropped file with that basename. */
export function resolveExternalFile(onnxPath: string, location: string, files: ModelFileRef[]): ModelFileRef {
  const want = basename(location);
  const dir = dirname(onnxPath);
  const sameDir = files.find((f) => basename(f.path) === want && dirname(f.path) === dir);
  const anywhere = sameDir ?? files.find((f) => basename(f.path) === want);
  if (!anywhere) {
    throw new LabError(
      'missing-file',
      `${onnxPath}: its weights are stored in external data file '${location}', which was not among the dropped files; drop ${want} together with ${basename(onnxPath)}`,
      { path: onnxPath, location },
    );
  }
  return anywhere;
}

/** External data files the graph names, in the order first found. */
export function externalDataFiles(src: OnnxWeightsSource): ModelFileRef[] {
  const out: ModelFileRef[] = [];
  for (const t of src.model.initializers.values()) {
    if (t.dataLocation !== 1 || !t.externalData) continue;
    const f = resolveExternalFile(src.file.path, t.externalData.location, src.allFiles);
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

function elementBytes(dataType: number): number {
  switch (dataType) {
    case OnnxDataType.float: case OnnxDataType.int32: return 4;
    case OnnxDataType.uint8: case OnnxDataType.int8: return 1;
    case OnnxDataType.int64: case OnnxDataType.double: return 8;
    case OnnxDataType.float16: case OnnxDataType.bfloat16: return 2;
    default: return 0;
  }
}

export function elementCount(t: OnnxTensor): number {
  return t.dims.reduce((a, d) => a * d, 1);
}

/** Raw little-endian bytes of a tensor stored as raw_data or external data; null if stored in typed fields. */
export async function tensorRawBytes(src: OnnxWeightsSource, t: OnnxTensor): Promise<Uint8Array | null> {
  const expected = elementCount(t) * elementBytes(t.dataType);
  if (t.dataLocation === 1 && t.externalData) {
    const ext = t.externalData;
    const file = resolveExternalFile(src.file.path, ext.location, src.allFiles);
    const length = ext.length ?? expected;
    if (!Number.isSafeInteger(ext.offset) || ext.offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new LabError(
        'corrupt',
        `${src.file.path}: corrupt: tensor '${t.name}' has external data offset ${String(ext.offset)} and length ${String(length)}; both must be whole byte counts ≥ 0`,
        { path: src.file.path, tensor: t.name },
      );
    }
    if (ext.offset + length > file.blob.size) {
      throw new LabError(
        'truncated',
        `${file.path}: truncated: ${src.file.path} places tensor '${t.name}' at bytes ${ext.offset}..${ext.offset + length} but the file has ${file.blob.size}`,
        { path: file.path, tensor: t.name },
      );
    }
    return byteSourceFromFile(file).read(ext.offset, length);
  }
  if (t.rawData) return t.rawData;
  if (t.rawDataRange) return byteSourceFromFile(src.file).read(t.rawDataRange.offset, t.rawDataRange.length);
  return null;
}

/** A float tensor as fp32 (float, float16, bfloat16), checking its byte count against its dims. */
export async function tensorToFloat32(src: OnnxWeightsSource, t: OnnxTensor): Promise<Float32Array> {
  const count = elementCount(t);
  const dtype =
    t.dataType === OnnxDataType.float ? 'float32'
    : t.dataType === OnnxDataType.float16 ? 'float16'
    : t.dataType === OnnxDataType.bfloat16 ? 'bfloat16' : null;
  if (!dtype) {
    throw new LabError('unsupported-format', `${src.file.path}: initializer '${t.name}' has ONNX data type ${t.dataType}; expected a float tensor`, { path: src.file.path, tensor: t.name });
  }
  const raw = await tensorRawBytes(src, t);
  let out: Float32Array;
  if (raw) out = bytesToFloat32(raw, dtype);
  else if (dtype === 'float32') out = Float32Array.from(t.floatData);
  else {
    // fp16/bf16 without raw_data are stored as uint16 bit patterns in int32_data.
    const bytes = new Uint8Array(t.int32Data.length * 2);
    const view = new DataView(bytes.buffer);
    t.int32Data.forEach((v, i) => view.setUint16(i * 2, v, true));
    out = bytesToFloat32(bytes, dtype);
  }
  if (out.length !== count) {
    throw new LabError('corrupt', `${src.file.path}: corrupt: initializer '${t.name}' has dims [${t.dims.join(', ')}] (${count} values) but holds ${out.length}`, { path: src.file.path, tensor: t.name });
  }
  return out;
}

/** A uint8 tensor's bytes (MatMulNBits packed weights). */
export async function tensorToUint8(src: OnnxWeightsSource, t: OnnxTensor): Promise<Uint8Array> {
  if (t.dataType !== OnnxDataType.uint8) {
    throw new LabError('unsupported-format', `${src.file.path}: initializer '${t.name}' has ONNX data type ${t.dataType}; expected a uint8 tensor`, { path: src.file.path, tensor: t.name });
  }
  const raw = (await tensorRawBytes(src, t)) ?? Uint8Array.from(t.int32Data);
  if (raw.length !== elementCount(t)) {
    throw new LabError('corrupt', `${src.file.path}: corrupt: initializer '${t.name}' has dims [${t.dims.join(', ')}] but holds ${raw.length} bytes`, { path: src.file.path, tensor: t.name });
  }
  return raw;
}
