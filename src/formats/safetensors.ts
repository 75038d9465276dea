// safetensors reader: parses the JSON header, then reads one tensor at a time by byte range
// (Blob slices), converting F32/F16/BF16 to Float32Array. Pure module.

import { firstDuplicateKey } from './json-duplicate-key';
import { LabError } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';
import { byteSourceFromFile, syncReaderOf, type ByteSource } from './byte-source';
import { bytesToFloat32 } from './dtype';

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  path: string;
  source: ByteSource;
  /** Synchronous reads when the platform has them (see byte-source.ts syncReaderOf). */
  readSync: ((offset: number, length: number) => Uint8Array) | null;
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const MAX_HEADER_BYTES = 100_000_000;
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

export async function readSafetensorsHeader(file: ModelFileRef): Promise<SafetensorsFile> {
  const source = byteSourceFromFile(file);
  const { path, size } = source;
  if (size < 8) throw new LabError('truncated', `${path}: truncated: ${size} bytes, shorter than the 8-byte safetensors header length`, { path });
  const lenBytes = await source.read(0, 8);
  const headerLength = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) {
    throw new LabError('corrupt', `${path}: corrupt: header length ${headerLength} bytes is implausible`, { path });
  }
  if (8 + headerLength > size) {
    throw new LabError('truncated', `${path}: truncated: header declares ${headerLength} bytes of JSON but the file has ${size}`, { path });
  }
  let header: Record<string, unknown>;
  const headerText = new TextDecoder().decode(await source.read(8, headerLength));
  try {
    header = JSON.parse(headerText) as Record<string, unknown>;
  } catch (e) {
    throw new LabError('corrupt', `${path}: corrupt: the safetensors header is not valid JSON (${(e as Error).message})`, { path });
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new LabError('corrupt', `${path}: corrupt: the safetensors header is not a JSON object`, { path });
  const repeated = firstDuplicateKey(headerText);
  if (repeated !== null) {
    const what = Object.hasOwn(header, repeated) ? `tensor '${repeated}'` : `the key '${repeated}' (inside one entry)`;
    throw new LabError('corrupt', `${path}: corrupt: the header lists ${what} twice`, { path, key: repeated });
  }
  const dataStart = 8 + headerLength;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  let dataEnd = 0;
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offsets = v?.data_offsets;
    if (typeof v?.dtype !== 'string' || !Array.isArray(v.shape) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new LabError('corrupt', `${path}: corrupt: tensor '${name}' has no dtype/shape/data_offsets in the header`, { path });
    }
    const [b, e] = offsets as unknown[];
    const shape = v.shape as unknown[];
    // Every number is checked before use: a fraction or a string would reach Blob.slice (a native abort in Node).
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new LabError('corrupt', `${path}: corrupt: tensor '${name}' has shape ${JSON.stringify(shape)}; dimensions must be whole numbers ≥ 0`, { path, tensor: name });
    }
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e)) {
      throw new LabError('corrupt', `${path}: corrupt: tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; they must be whole byte offsets`, { path, tensor: name });
    }
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    const width = DTYPE_BYTES[v.dtype];
    if (!((b as number) >= 0 && (e as number) >= (b as number)) || (width !== undefined && (e as number) - (b as number) !== count * width)) {
      throw new LabError('corrupt', `${path}: corrupt: tensor '${name}' (${v.dtype} [${shape.join(', ')}]) has data_offsets [${b}, ${e}] that do not fit its shape`, { path, tensor: name });
    }
    dataEnd = Math.max(dataEnd, e as number);
    entries.set(name, { name, dtype: v.dtype, shape: shape as number[], begin: dataStart + (b as number), end: dataStart + (e as number) });
  }
  // Tensors must tile the data buffer: in order, no overlap, no gap (the safetensors format has no holes).
  // A shifted header length or overlapping offsets would otherwise read every weight from the wrong bytes.
  const tiled = [...entries.values()].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let cursor = dataStart;
  for (const t of tiled) {
    if (t.begin !== cursor && t.end <= size) {
      throw new LabError(
        'corrupt',
        `${path}: corrupt: tensor '${t.name}' has data_offsets [${t.begin - dataStart}, ${t.end - dataStart}] but the previous tensor ends at ${cursor - dataStart}: ${t.begin < cursor ? 'the tensors overlap' : 'there is a gap'}`,
        { path, tensor: t.name },
      );
    }
    cursor = Math.max(cursor, t.end);
  }
  if (dataStart + dataEnd < size) {
    throw new LabError(
      'corrupt',
      `${path}: corrupt: ${size - dataStart - dataEnd} bytes follow the last tensor's data; the header length (${headerLength}) or the data_offsets are wrong`,
      { path, headerLength, trailingBytes: size - dataStart - dataEnd },
    );
  }
  if (dataStart + dataEnd > size) {
    // Contiguous offsets and a short file: cut off. Gaps or overlaps reaching past the end: a bad header.
    const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin);
    let cursor = dataStart;
    for (const e of sorted) {
      if (e.begin !== cursor) {
        const past = sorted.filter((x) => x.end > size).pop() ?? e;
        throw new LabError(
          'corrupt',
          `${path}: corrupt: tensor '${past.name}' has data_offsets [${past.begin - dataStart}, ${past.end - dataStart}] pointing past the end of the file (${size - dataStart} bytes of tensor data)`,
          { path, tensor: past.name },
        );
      }
      cursor = e.end;
    }
    throw new LabError(
      'truncated',
      `${path}: truncated: header declares ${dataEnd} bytes of tensor data but the file has ${size - dataStart}`,
      { path, declaredBytes: dataEnd, actualBytes: size - dataStart },
    );
  }
  return { path, source, readSync: syncReaderOf(file), entries, metadata };
}

/** Reads one tensor as fp32. Unsupported dtypes are named together with the tensor. */
export async function readSafetensorsTensor(file: SafetensorsFile, name: string): Promise<Float32Array> {
  const entry = file.entries.get(name);
  if (!entry) throw new LabError('corrupt', `${file.path}: has no tensor '${name}'`, { path: file.path, tensor: name });
  return bytesToFloat32(await file.source.read(entry.begin, entry.end - entry.begin), floatDtypeOf(file, entry));
}

/** The float dtype of an entry; F32/F16/BF16 only, others are `unsupported-format` naming the tensor. */
export function floatDtypeOf(file: SafetensorsFile, entry: SafetensorsEntry): 'float32' | 'float16' | 'bfloat16' {
  const dtype = entry.dtype === 'F32' ? 'float32' : entry.dtype === 'F16' ? 'float16' : entry.dtype === 'BF16' ? 'bfloat16' : null;
  if (!dtype) {
    throw new LabError(
      'unsupported-format',
      `${file.path}: tensor '${entry.name}' has dtype ${entry.dtype}; supported dtypes are F32, F16 and BF16`,
      { path: file.path, tensor: entry.name, dtype: entry.dtype },
    );
  }
  return dtype;
}

export function safetensorsDtype(file: SafetensorsFile): 'float32' | 'float16' | 'bfloat16' {
  const first = [...file.entries.values()][0];
  return first?.dtype === 'F16' ? 'float16' : first?.dtype === 'BF16' ? 'bfloat16' : 'float32';
}
