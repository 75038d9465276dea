// File builders for the bad-input table (bad-inputs.ts): every bad file is made here, at call time, from
// the real stories260K files (node:fs), so no binary blob is ever hand-edited or committed. Node only.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { editSafetensorsTensor } from '../test/helpers/bad-import-folders';

export interface BadInputFile {
  path: string;
  bytes: Uint8Array;
}

const modelDir = fileURLToPath(new URL('../public/models/stories260K/', import.meta.url));

export function real(path: string): BadInputFile {
  return { path, bytes: new Uint8Array(fs.readFileSync(modelDir + path)) };
}

export function text(path: string, value: string): BadInputFile {
  return { path, bytes: new TextEncoder().encode(value) };
}

export function json(path: string, value: unknown): BadInputFile {
  return text(path, JSON.stringify(value, null, 2));
}

export function realJson(path: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(modelDir + path, 'utf8')) as Record<string, unknown>;
}

/** config.json with `extra` merged in (undefined values delete the key). */
export function configWith(extra: Record<string, unknown>): BadInputFile {
  const config = { ...realJson('config.json'), ...extra };
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete config[key];
  return json('config.json', config);
}

export function cut(file: BadInputFile, fraction: number): BadInputFile {
  return { path: file.path, bytes: file.bytes.slice(0, Math.floor(file.bytes.length * fraction)) };
}

/** Deterministic pseudo-random bytes (a fixed-seed LCG), so a row never flakes. */
export function randomBytes(count: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: number[] } | Record<string, string>>;

function splitSafetensors(): { header: Header; headerLength: number; data: Uint8Array } {
  const bytes = real('model.safetensors').bytes;
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Header;
  return { header, headerLength, data: bytes.subarray(8 + headerLength) };
}

/** The tensor entries of the real header, by data offset (first = lowest). */
function tensorsByOffset(header: Header): [string, { data_offsets: number[] }][] {
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, entry]) => [name, entry as { data_offsets: number[] }] as [string, { data_offsets: number[] }])
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
}

/** model.safetensors with a rewritten header JSON (`edit` returns the new JSON text) and `lengthDelta` misstating its length. */
export function safetensorsWith(edit: (header: Header) => string, lengthDelta = 0, data?: Uint8Array): BadInputFile {
  const parts = splitSafetensors();
  const jsonBytes = new TextEncoder().encode(edit(parts.header));
  const out = new Uint8Array(8 + jsonBytes.length + (data ?? parts.data).length);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length + lengthDelta), true);
  out.set(jsonBytes, 8);
  out.set(data ?? parts.data, 8 + jsonBytes.length);
  return { path: 'model.safetensors', bytes: out };
}

/** The last tensor's data_offsets moved 4 KiB past the end of the file. */
export function safetensorsOffsetsPastEnd(): BadInputFile {
  return safetensorsWith((header) => {
    const last = tensorsByOffset(header).at(-1)![1];
    last.data_offsets = last.data_offsets.map((o) => o + 4096);
    return JSON.stringify(header);
  });
}

/** The second tensor's offsets made fractional (x.5): once a native abort in Blob.slice. */
export function safetensorsFractionalOffset(): BadInputFile {
  return safetensorsWith((header) => {
    const second = tensorsByOffset(header)[1][1];
    second.data_offsets = second.data_offsets.map((o) => o + 0.5);
    return JSON.stringify(header);
  });
}

/** The second tensor starting 4 bytes early, overlapping the first. */
export function safetensorsOverlap(): BadInputFile {
  return safetensorsWith((header) => {
    const second = tensorsByOffset(header)[1][1];
    second.data_offsets = [second.data_offsets[0] - 4, second.data_offsets[1] - 4];
    return JSON.stringify(header);
  });
}

/** The header padded with 4 spaces but its length stated 4 short: valid JSON, every weight read 4 bytes early. */
export function safetensorsLengthShort(): BadInputFile {
  return safetensorsWith((header) => `${JSON.stringify(header)}    `, -4);
}

/** The first tensor listed a second time at the end of the header (JSON.parse keeps the last copy). */
export function safetensorsDuplicateKey(): BadInputFile {
  return safetensorsWith((header) => {
    const [name, entry] = tensorsByOffset(header)[0];
    const body = JSON.stringify(header);
    return `${body.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(entry)}}`;
  });
}

/** model.safetensors with tensor `name`'s values at `positions` set to `value` (NaN, Infinity). */
export function safetensorsWithValue(name: string, value: number, positions: number[]): BadInputFile {
  return { path: 'model.safetensors', bytes: editSafetensorsTensor(real('model.safetensors').bytes, name, (values) => positions.forEach((p) => (values[p] = value))) };
}

/** onnx/model.onnx with its ir_version (the first varint, field 1) set to `version`. */
export function onnxIrVersion(version: number): BadInputFile {
  const file = real('onnx/model.onnx');
  if (file.bytes[0] !== 0x08 || version > 127) throw new Error('onnx/model.onnx does not start with a one-byte ir_version');
  file.bytes[1] = version;
  return file;
}
