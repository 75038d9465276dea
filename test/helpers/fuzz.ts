// Seeded fuzzing of the model loader (issue 14): every case mutates ONE of the real stories260K files
// (ONNX graph, safetensors, config.json or tokenizer.json) and feeds the folder through the whole
// loader (`loadModelFromFiles`), then reads every weight and builds the text tokenizer when it loads.
// Shared by test/formats/fuzz.test.ts (a few hundred cases) and bench/fuzz.ts (≥ 10,000).
//
// Outcomes: 'loads' (a mutation may be harmless, or only change weight values: counted as loads, with
// `nonFinite` set when a weight read back holds NaN/Inf), 'error:<code>' (a LabError: the expected way
// to refuse a bad file), 'crash' (anything else thrown: TypeError, RangeError, a non-LabError) and
// 'timeout' (no answer within the bound). Node only (node:fs); no vitest.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from '../../src/errors';
import type { ModelFileRef } from '../../src/model/loaded-model';
import { loadModelFromFiles } from '../../src/model/load-model';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { concatBytes } from './bytes';

export type FuzzTarget = 'onnx' | 'safetensors' | 'config' | 'tokenizer';
export const FUZZ_TARGETS: readonly FuzzTarget[] = ['onnx', 'safetensors', 'config', 'tokenizer'];

export interface FuzzResult {
  seed: number;
  target: FuzzTarget;
  /** What was done to the file (mutator names and parameters), to reproduce by hand. */
  mutation: string;
  outcome: 'loads' | `error:${string}` | 'crash' | 'timeout';
  ms: number;
  message: string;
  /** Loaded, and some weight read back is NaN or ±Inf (the mutation changed weight bytes). */
  nonFinite?: boolean;
  /** Stack of a crash. */
  stack?: string;
}

export const FUZZ_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------------
// Sources: the real files, read once.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STORIES = path.join(ROOT, 'public/models/stories260K');
const GENAI = path.join(ROOT, 'test/fixtures/models/stories260K-genai-style');

interface Sources {
  config: Uint8Array;
  tokenizer: Uint8Array;
  safetensors: Uint8Array;
  /** [path in the folder, bytes]: the Optimum export, the GenAI-style fp32 and its q4 (MatMulNBits). */
  onnx: [string, Uint8Array][];
}

let sources: Sources | null = null;
function src(): Sources {
  const read = (p: string) => new Uint8Array(fs.readFileSync(p));
  sources ??= {
    config: read(path.join(STORIES, 'config.json')),
    tokenizer: read(path.join(STORIES, 'tokenizer.json')),
    safetensors: read(path.join(STORIES, 'model.safetensors')),
    onnx: [
      ['onnx/model.onnx', read(path.join(STORIES, 'onnx/model.onnx'))],
      ['onnx/model.onnx', read(path.join(GENAI, 'onnx/model.onnx'))],
      ['onnx/model_q4.onnx', read(path.join(GENAI, 'onnx/model_q4.onnx'))],
    ],
  };
  return sources;
}

// ---------------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32): the same seed gives the same case on every machine.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 0x9e3779b1 + 0x85ebca6b) >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const BOUNDARY_BYTES = [0x00, 0xff, 0x7f, 0x80];
const enc = new TextEncoder();
const dec = new TextDecoder();

// ---------------------------------------------------------------------------------------------------
// Byte mutators. `region` biases positions to [start, end) (headers, protobuf field headers).

type Region = { start: number; end: number };

function position(rng: Rng, length: number, regions: Region[]): number {
  if (length === 0) return 0;
  if (regions.length > 0 && rng.chance(0.7)) {
    const r = rng.pick(regions);
    const lo = Math.max(0, Math.min(r.start, length - 1));
    const hi = Math.max(lo + 1, Math.min(r.end, length));
    return lo + rng.int(hi - lo);
  }
  return rng.int(length);
}

export function mutateBytes(rng: Rng, input: Uint8Array, regions: Region[] = [], steps = 1 + rng.int(3)): { bytes: Uint8Array; what: string } {
  let b: Uint8Array = input.slice();
  const what: string[] = [];
  for (let s = 0; s < steps; s++) {
    const at = position(rng, b.length, regions);
    switch (rng.int(7)) {
      case 0: {
        const bit = rng.int(8);
        if (b.length) b[at] ^= 1 << bit;
        what.push(`flip bit ${bit} @${at}`);
        break;
      }
      case 1: {
        const v = rng.pick(BOUNDARY_BYTES);
        if (b.length) b[at] = v;
        what.push(`byte @${at}=0x${v.toString(16)}`);
        break;
      }
      case 2: {
        const v = rng.int(256);
        if (b.length) b[at] = v;
        what.push(`byte @${at}=${v}`);
        break;
      }
      case 3: {
        b = b.slice(0, at);
        what.push(`truncate @${at}`);
        break;
      }
      case 4: {
        const n = 1 + rng.int(rng.chance(0.8) ? 16 : 4096);
        const fill = rng.chance(0.5) ? rng.pick(BOUNDARY_BYTES) : -1;
        const run = Uint8Array.from({ length: n }, () => (fill >= 0 ? fill : rng.int(256)));
        b = concatBytes([b.subarray(0, at), run, b.subarray(at)]);
        what.push(`insert ${n}B @${at}`);
        break;
      }
      case 5: {
        const n = 1 + rng.int(rng.chance(0.8) ? 16 : 4096);
        b = concatBytes([b.subarray(0, at), b.subarray(Math.min(b.length, at + n))]);
        what.push(`delete ${n}B @${at}`);
        break;
      }
      default: {
        // A run copied over another place (a field header lands where a payload was, or vice versa).
        const n = 1 + rng.int(64);
        const from = rng.int(Math.max(1, b.length));
        const run = b.slice(from, from + n);
        b.set(run.subarray(0, Math.max(0, b.length - at)), at);
        what.push(`copy ${run.length}B @${from}→@${at}`);
      }
    }
  }
  return { bytes: b, what: what.join(', ') };
}

// ---------------------------------------------------------------------------------------------------
// JSON mutators: structural changes of a parsed value, serialized (optionally with a duplicate key).

const ODD_VALUES: [string, () => unknown][] = [
  ['-1', () => -1], ['0', () => 0], ['1', () => 1], ['1e9', () => 1e9], ['2.5', () => 2.5], ['-0.5', () => -0.5],
  ['1e308', () => 1e308], ['2^53+2', () => 2 ** 53 + 2], ['"NaN"', () => 'NaN'], ['"abc"', () => 'abc'], ['""', () => ''],
  ['null', () => null], ['true', () => true], ['[]', () => []], ['{}', () => ({})], ['[1,2]', () => [1, 2]],
  ['huge array', () => new Array(200_000).fill(7)], ['long string', () => 'x'.repeat(1 << 20)],
  ['deep nesting', () => deepArray(3000)], ['"__proto__"', () => '__proto__'], ['{"__proto__":1}', () => JSON.parse('{"__proto__": 1}')],
];

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

type JsonPath = (string | number)[];

/** Paths of every node (depth-first), numbers first when asked. Big arrays/objects are sampled. */
function paths(value: unknown, rng: Rng, out: JsonPath[] = [], at: JsonPath = [], depth = 0): JsonPath[] {
  if (depth > 12) return out;
  if (at.length) out.push(at);
  if (Array.isArray(value)) {
    const n = value.length;
    const idx = n <= 24 ? [...Array(n).keys()] : Array.from({ length: 24 }, () => rng.int(n));
    for (const i of idx) paths(value[i], rng, out, [...at, i], depth + 1);
  } else if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    const chosen = keys.length <= 48 ? keys : Array.from({ length: 48 }, () => keys[rng.int(keys.length)]);
    for (const k of chosen) paths((value as Record<string, unknown>)[k], rng, out, [...at, k], depth + 1);
  }
  return out;
}

function getAt(root: unknown, p: JsonPath): unknown {
  let v = root;
  for (const k of p) v = (v as Record<string | number, unknown>)[k];
  return v;
}

function parentOf(root: unknown, p: JsonPath): { parent: Record<string | number, unknown>; key: string | number } {
  return { parent: getAt(root, p.slice(0, -1)) as Record<string | number, unknown>, key: p[p.length - 1] };
}

/** JSON text of `root` where the object at `dupPath` carries key `dupKey` twice (first `dupValue`, then its own). */
function stringifyWithDuplicate(root: unknown, dupPath: JsonPath, dupKey: string, dupValue: unknown): string {
  const target = getAt(root, dupPath);
  const walk = (v: unknown): string => {
    if (v === target && v && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${walk(x)}`);
      return `{${JSON.stringify(dupKey)}:${JSON.stringify(dupValue) ?? 'null'}${entries.length ? ',' : ''}${entries.join(',')}}`;
    }
    if (Array.isArray(v)) return `[${v.map(walk).join(',')}]`;
    if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${walk(x)}`).join(',')}}`;
    return JSON.stringify(v) ?? 'null';
  };
  return walk(root);
}

export function mutateJsonValue(rng: Rng, original: unknown, preferNumbers = false): { text: string; what: string } {
  const root = structuredClone(original);
  const what: string[] = [];
  const steps = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  for (let s = 0; s < steps; s++) {
    let all = paths(root, rng);
    if (all.length === 0) break;
    if (preferNumbers && rng.chance(0.6)) {
      const nums = all.filter((p) => typeof getAt(root, p) === 'number');
      if (nums.length) all = nums;
    }
    const p = rng.pick(all);
    const { parent, key } = parentOf(root, p);
    const label = p.join('.');
    const op = rng.int(10);
    if (op <= 4) {
      const [name, make] = rng.pick(ODD_VALUES);
      parent[key] = make();
      what.push(`${label}=${name}`);
    } else if (op === 5 && !Array.isArray(parent)) {
      delete parent[key];
      what.push(`delete ${label}`);
    } else if (op === 5) {
      (parent as unknown as unknown[]).splice(key as number, 1);
      what.push(`remove ${label}`);
    } else if (op === 6) {
      const v = parent[key];
      parent[key] = typeof v === 'number' ? String(v) : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : Array.isArray(v) ? { ...v } : v && typeof v === 'object' ? Object.values(v) : [v];
      what.push(`retype ${label}`);
    } else if (op === 7 && !Array.isArray(parent)) {
      parent[`${key}_x`] = parent[key];
      delete parent[key];
      what.push(`rename ${label}`);
    } else if (op === 8) {
      const v = parent[key];
      if (typeof v === 'number') parent[key] = rng.pick([v + 1, v - 1, -v, v * 2, v / 2, v * 1000]);
      else if (Array.isArray(v)) parent[key] = rng.chance(0.5) ? [...v, ...v] : v.slice(0, rng.int(v.length + 1));
      else parent[key] = rng.pick(ODD_VALUES)[1]();
      what.push(`nudge ${label}`);
    } else {
      // Duplicate key in the enclosing object: JSON.parse keeps the last, other readers the first.
      const objPath = Array.isArray(parent) ? p.slice(0, -2) : p.slice(0, -1);
      const obj = getAt(root, objPath);
      if (obj && typeof obj === 'object' && !Array.isArray(obj) && Object.keys(obj).length) {
        const k = rng.pick(Object.keys(obj));
        const [name, make] = rng.pick(ODD_VALUES.slice(0, 16));
        what.push(`duplicate key ${[...objPath, k].join('.')} (first copy ${name})`);
        return { text: stringifyWithDuplicate(root, objPath, k, make()), what: what.join(', ') };
      }
      what.push('noop');
    }
  }
  return { text: JSON.stringify(root), what: what.join(', ') };
}

function mutateJsonFile(rng: Rng, bytes: Uint8Array, preferNumbers: boolean): { bytes: Uint8Array; what: string } {
  if (rng.chance(0.75)) {
    const m = mutateJsonValue(rng, JSON.parse(dec.decode(bytes)), preferNumbers);
    return { bytes: enc.encode(m.text), what: `json: ${m.what}` };
  }
  const m = mutateBytes(rng, bytes);
  return { bytes: m.bytes, what: `bytes: ${m.what}` };
}

// ---------------------------------------------------------------------------------------------------
// safetensors: the JSON header mutated (offsets, dtype, shape, generic), the length prefix kept
// consistent or not; or plain byte mutations biased to the header.

function mutateSafetensors(rng: Rng, file: Uint8Array): { bytes: Uint8Array; what: string } {
  const view = new DataView(file.buffer, file.byteOffset, 8);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(dec.decode(file.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  const data = file.subarray(8 + headerLength);
  if (rng.chance(0.3)) {
    const m = mutateBytes(rng, file, [{ start: 0, end: 8 + headerLength }]);
    return { bytes: m.bytes, what: `bytes: ${m.what}` };
  }
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  let text: string;
  let what: string;
  const name = rng.pick(names);
  const t = header[name];
  const op = rng.int(8);
  if (op === 0) {
    const i = rng.int(2);
    const v = rng.pick<number | string>([-1, 0, 1, 2.5, t.data_offsets[i] + 4, t.data_offsets[i] - 4, 2 ** 53, 2 ** 31, 1e20, 'abc', data.length, data.length + 1]);
    t.data_offsets[i] = v as number;
    what = `${name}.data_offsets[${i}]=${v}`;
  } else if (op === 1) {
    const other = header[rng.pick(names)];
    t.data_offsets = [...other.data_offsets];
    what = `${name}.data_offsets = another tensor's`;
  } else if (op === 2) {
    t.dtype = rng.pick(['F16', 'BF16', 'F64', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'Q4', '', 'f32']);
    what = `${name}.dtype=${t.dtype}`;
  } else if (op === 3) {
    const i = rng.int(t.shape.length + 1);
    const v = rng.pick<number | string>([0, 1, -1, 2.5, 1e9, 2 ** 31, 2 ** 53, 'x']);
    if (rng.chance(0.3)) t.shape.splice(i, 0, v as number);
    else t.shape[Math.min(i, t.shape.length - 1)] = v as number;
    what = `${name}.shape=${JSON.stringify(t.shape)}`;
  } else if (op === 4) {
    t.shape = [...t.shape].reverse();
    what = `${name}.shape reversed`;
  } else if (op === 5) {
    delete header[name];
    what = `delete ${name}`;
  } else {
    const m = mutateJsonValue(rng, header, true);
    text = m.text;
    what = `header json: ${m.what}`;
  }
  text ??= JSON.stringify(header);
  if (rng.chance(0.5)) text = text.padEnd(Math.ceil(text.length / 8) * 8, ' ');
  const headerBytes = enc.encode(text);
  const prefix = new Uint8Array(8);
  const pv = new DataView(prefix.buffer);
  const mode = rng.int(4);
  let declared = BigInt(headerBytes.length);
  if (mode === 1) declared = BigInt(headerLength); // the old length: inconsistent when the header changed size
  else if (mode === 2) declared = BigInt(Math.max(0, headerBytes.length + rng.pick([-8, -4, -1, 1, 4, 8])));
  else if (mode === 3) declared = rng.pick([0n, 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, BigInt(file.length)]);
  pv.setBigUint64(0, declared, true);
  return { bytes: concatBytes([prefix, headerBytes, data]), what: `header: ${what}; length prefix ${['consistent', 'old', 'off by a few', 'absurd'][mode]} (${declared})` };
}

// ---------------------------------------------------------------------------------------------------
// ONNX: a minimal protobuf walker/writer, for structural mutations of the graph's initializers, and
// byte mutations biased to field headers (tags and lengths).

interface PField {
  field: number;
  wire: number;
  /** Whole field [start, end); payload [payloadStart, end) for length-delimited fields. */
  start: number;
  payloadStart: number;
  end: number;
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const x = b[pos++];
    v += (x & 0x7f) * mul;
    mul *= 128;
    if (!(x & 0x80)) return [v, pos];
  }
  throw new Error('fuzz: bad varint in a source file');
}

function fieldsOf(b: Uint8Array, start: number, end: number): PField[] {
  const out: PField[] = [];
  let pos = start;
  while (pos < end) {
    const s = pos;
    const [tag, p1] = readVarint(b, pos);
    const wire = tag & 7;
    let payloadStart = p1;
    let e: number;
    if (wire === 0) e = readVarint(b, p1)[1];
    else if (wire === 2) {
      const [len, p2] = readVarint(b, p1);
      payloadStart = p2;
      e = p2 + len;
    } else e = p1 + (wire === 1 ? 8 : 4);
    out.push({ field: Math.floor(tag / 8), wire, start: s, payloadStart, end: e });
    pos = e;
  }
  return out;
}

function varintBytes(v: number | bigint): number[] {
  let x = BigInt(v);
  if (x < 0n) x += 1n << 64n;
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

const lenField = (n: number, payload: Uint8Array) => concatBytes([Uint8Array.from([...varintBytes(n * 8 + 2), ...varintBytes(payload.length)]), payload]);
const intField = (n: number, v: number | bigint) => Uint8Array.from([...varintBytes(n * 8), ...varintBytes(v)]);
const strField = (n: number, s: string) => lenField(n, enc.encode(s));

interface OnnxLayout {
  top: PField[];
  graph: PField;
  graphFields: PField[];
  /** Field headers (tag + length bytes) of the model, graph, initializer and node fields. */
  headerRegions: Region[];
}

const layouts = new WeakMap<Uint8Array, OnnxLayout>();
function layoutOf(b: Uint8Array): OnnxLayout {
  let l = layouts.get(b);
  if (l) return l;
  const top = fieldsOf(b, 0, b.length);
  const graph = top.find((f) => f.field === 7)!;
  const graphFields = fieldsOf(b, graph.payloadStart, graph.end);
  const headerRegions: Region[] = top.map((f) => ({ start: f.start, end: f.payloadStart + 1 }));
  for (const f of graphFields) {
    headerRegions.push({ start: f.start, end: f.payloadStart + 1 });
    if (f.wire === 2 && (f.field === 5 || f.field === 1)) {
      for (const g of fieldsOf(b, f.payloadStart, f.end)) headerRegions.push({ start: g.start, end: g.field === 9 ? g.payloadStart : g.end });
    }
  }
  l = { top, graph, graphFields, headerRegions };
  layouts.set(b, l);
  return l;
}

/** The model with the graph's fields replaced (re-encoded lengths, other top-level fields kept). */
function rebuildModel(b: Uint8Array, l: OnnxLayout, graphParts: Uint8Array[]): Uint8Array {
  const graph = lenField(7, concatBytes(graphParts));
  return concatBytes(l.top.map((f) => (f === l.graph ? graph : b.subarray(f.start, f.end))));
}

function initializerName(b: Uint8Array, f: PField): string {
  const n = fieldsOf(b, f.payloadStart, f.end).find((g) => g.field === 8);
  return n ? dec.decode(b.subarray(n.payloadStart, n.end)) : '';
}

const EXT_VALUES = ['0', '4', '-1', '2.5', 'abc', '', 'NaN', '1e9', '9007199254740993', '0x10', ' 8'];

function mutateOnnx(rng: Rng, b: Uint8Array, onnxPath: string): { files: ModelFileRef[]; what: string } {
  const l = layoutOf(b);
  if (rng.chance(0.5)) {
    const m = mutateBytes(rng, b, l.headerRegions);
    return { files: [ref(onnxPath, m.bytes)], what: `bytes: ${m.what}` };
  }
  const inits = l.graphFields.filter((f) => f.field === 5 && f.wire === 2);
  const init = rng.pick(inits);
  const name = initializerName(b, init);
  const parts = l.graphFields.map((f) => b.subarray(f.start, f.end));
  const idx = l.graphFields.indexOf(init);
  const initFields = fieldsOf(b, init.payloadStart, init.end);
  const rebuiltInit = (replace: (g: PField) => Uint8Array | null, extra: Uint8Array[] = []) =>
    lenField(5, concatBytes([...initFields.map((g) => replace(g) ?? b.subarray(g.start, g.end)), ...extra]));
  const extra: ModelFileRef[] = [];
  let what: string;
  switch (rng.int(7)) {
    case 0: {
      // A second copy of an initializer (same name), its values changed: ORT reads the first, a naive reader the last.
      const copy = rebuiltInit((g) => (g.field === 9 ? lenField(9, new Uint8Array(g.end - g.payloadStart).fill(0x3f)) : null));
      parts.splice(rng.chance(0.5) ? idx + 1 : parts.length, 0, copy);
      what = `duplicate initializer '${name}'`;
      break;
    }
    case 1: {
      // raw_data moved to external data with odd offset/length strings, the data file present or not.
      const raw = initFields.find((g) => g.field === 9);
      const rawBytes = raw ? b.subarray(raw.payloadStart, raw.end) : new Uint8Array(0);
      const offset = rng.chance(0.5) ? '0' : rng.pick(EXT_VALUES);
      const length = rng.chance(0.3) ? null : rng.chance(0.5) ? String(rawBytes.length) : rng.pick(EXT_VALUES);
      const location = rng.pick(['model.onnx_data', 'model.onnx_data', '../model.onnx_data', '', 'missing.bin']);
      const entry = (k: string, v: string) => lenField(13, concatBytes([strField(1, k), strField(2, v)]));
      const ext = [entry('location', location), entry('offset', offset), ...(length === null ? [] : [entry('length', length)]), intField(14, 1)];
      parts[idx] = rebuiltInit((g) => (g.field === 9 ? new Uint8Array(0) : null), ext);
      const dataSize = rng.pick([rawBytes.length, rawBytes.length - 1, 0, rawBytes.length + 4]);
      if (rng.chance(0.8)) extra.push(ref(path.posix.join(path.posix.dirname(onnxPath), 'model.onnx_data'), concatBytes([rawBytes, new Uint8Array(Math.max(0, dataSize - rawBytes.length))]).subarray(0, Math.max(0, dataSize))));
      what = `initializer '${name}' external: location '${location}' offset '${offset}' length ${length === null ? 'absent' : `'${length}'`} file ${extra.length ? `${Math.max(0, dataSize)}B` : 'absent'}`;
      break;
    }
    case 2: {
      const v = rng.pick<number | bigint>([0, 1, 2, 3, 63, 65, 2 ** 31, 2 ** 32, 2 ** 53, -1, -64, 2n ** 63n]);
      let first = true;
      parts[idx] = rebuiltInit((g) => {
        if (g.field !== 1 || !first) return null;
        first = false;
        return intField(1, v);
      });
      what = `initializer '${name}' first dim=${v}`;
      break;
    }
    case 3: {
      const v = rng.pick([0, 2, 3, 5, 6, 7, 9, 10, 11, 16, 17, 22, 99, -1]);
      parts[idx] = rebuiltInit((g) => (g.field === 2 ? intField(2, v) : null));
      what = `initializer '${name}' data_type=${v}`;
      break;
    }
    case 4: {
      parts.splice(idx, 1);
      what = `drop initializer '${name}'`;
      break;
    }
    case 5: {
      const other = rng.pick(inits);
      const otherName = initializerName(b, other);
      parts[idx] = rebuiltInit((g) => (g.field === 8 ? strField(8, otherName) : null));
      what = `rename initializer '${name}' to '${otherName}'`;
      break;
    }
    default: {
      const nodes = l.graphFields.filter((f) => f.field === 1);
      const n = rng.pick(nodes);
      parts.splice(l.graphFields.indexOf(n), 1);
      what = `drop node #${nodes.indexOf(n)}`;
    }
  }
  return { files: [ref(onnxPath, rebuildModel(b, l, parts)), ...extra], what: `graph: ${what}` };
}

// ---------------------------------------------------------------------------------------------------
// One case.

function ref(p: string, bytes: Uint8Array | string): ModelFileRef {
  return { path: p, blob: new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]) };
}

/** The folder of a case (deterministic in `seed`). */
export function fuzzCaseFiles(seed: number): { target: FuzzTarget; files: ModelFileRef[]; what: string } {
  const s = src();
  const rng = new Rng(seed);
  const target = FUZZ_TARGETS[seed % FUZZ_TARGETS.length];
  const config = ref('config.json', s.config);
  const tokenizer = ref('tokenizer.json', s.tokenizer);
  const safetensors = ref('model.safetensors', s.safetensors);
  if (target === 'onnx') {
    const [p, bytes] = s.onnx[Math.floor(seed / 4) % s.onnx.length];
    const m = mutateOnnx(rng, bytes, p);
    return { target, files: [config, tokenizer, ...m.files], what: `${p} (#${s.onnx.findIndex((o) => o[1] === bytes)}): ${m.what}` };
  }
  if (target === 'safetensors') {
    const m = mutateSafetensors(rng, s.safetensors);
    return { target, files: [config, tokenizer, ref('model.safetensors', m.bytes)], what: m.what };
  }
  // config / tokenizer: with the safetensors weights, or every third case with the ONNX graph.
  const weights = rng.chance(1 / 3) ? ref(s.onnx[0][0], s.onnx[0][1]) : safetensors;
  if (target === 'config') {
    const m = mutateJsonFile(rng, s.config, true);
    return { target, files: [ref('config.json', m.bytes), tokenizer, weights], what: `${m.what} (weights ${weights.path})` };
  }
  const m = mutateJsonFile(rng, s.tokenizer, false);
  return { target, files: [config, ref('tokenizer.json', m.bytes), weights], what: `${m.what} (weights ${weights.path})` };
}

const SAMPLE_TEXT = 'Once upon a time, there was a little girl named Lily. She loved to play outside.';

async function loadAndUse(files: ModelFileRef[]): Promise<{ nonFinite: boolean }> {
  const loaded = await loadModelFromFiles(files);
  let nonFinite = false;
  for (const w of loaded.spec.weights.values()) {
    const d = w.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        nonFinite = true;
        break;
      }
    }
  }
  const tokenizer = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
  tokenizer.decode(tokenizer.encode(SAMPLE_TEXT));
  return { nonFinite };
}

/** Runs case `seed`: mutate, load, use; never throws. */
export async function runFuzzCase(seed: number, timeoutMs = FUZZ_TIMEOUT_MS): Promise<FuzzResult> {
  const t0 = performance.now();
  let target: FuzzTarget = FUZZ_TARGETS[seed % FUZZ_TARGETS.length];
  let mutation = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = (r: Omit<FuzzResult, 'seed' | 'target' | 'mutation' | 'ms'>): FuzzResult => ({ seed, target, mutation, ms: Math.round(performance.now() - t0), ...r });
  try {
    const c = fuzzCaseFiles(seed);
    target = c.target;
    mutation = c.what;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const run = loadAndUse(c.files);
    run.catch(() => {}); // settled below; never an unhandled rejection if the timeout wins
    const r = await Promise.race([run, timeout]);
    if (r === 'timeout') return done({ outcome: 'timeout', message: `no answer within ${timeoutMs} ms` });
    return done({ outcome: 'loads', message: '', ...(r.nonFinite ? { nonFinite: true } : {}) });
  } catch (e) {
    if (e instanceof LabError) return done({ outcome: `error:${e.code}`, message: e.message.slice(0, 300) });
    const err = e instanceof Error ? e : new Error(String(e));
    return done({ outcome: 'crash', message: `${err.name}: ${err.message}`.slice(0, 500), stack: err.stack?.split('\n').slice(0, 12).join('\n') });
  } finally {
    clearTimeout(timer);
  }
}

export type OutcomeCounts = Record<FuzzTarget, Record<string, number>>;

export function countOutcomes(results: FuzzResult[]): OutcomeCounts {
  const out = Object.fromEntries(FUZZ_TARGETS.map((t) => [t, {}])) as OutcomeCounts;
  for (const r of results) {
    out[r.target][r.outcome] = (out[r.target][r.outcome] ?? 0) + 1;
    if (r.nonFinite) out[r.target]['loads (non-finite weights)'] = (out[r.target]['loads (non-finite weights)'] ?? 0) + 1;
  }
  return out;
}
