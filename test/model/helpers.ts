// Test helpers: ModelFileRefs from disk and a small safetensors writer (tests only).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFileRef } from '../../src/model/loaded-model';

export const storiesDir = fileURLToPath(new URL('../../public/models/stories260K/', import.meta.url));
export const genaiDir = fileURLToPath(new URL('../fixtures/models/stories260K-genai-style/', import.meta.url));

export function refsFrom(dir: string, paths: string[]): ModelFileRef[] {
  return paths.map((p) => ({ path: p, blob: new Blob([fs.readFileSync(path.join(dir, p))]) }));
}

export function refOf(pathName: string, bytes: Uint8Array | string): ModelFileRef {
  return { path: pathName, blob: new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]) };
}

export interface RawTensor {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16' | 'I8' | string;
  shape: number[];
  bytes: Uint8Array;
}

export function writeSafetensors(tensors: RawTensor[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.bytes, pos);
    pos += t.bytes.length;
  }
  return out;
}

export function f32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Seeded uniform(-scale, scale) values. */
export function randomFloats(count: number, seed: number, scale = 0.1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export interface RandomGpt2Options {
  hidden: number;
  layers: number;
  inner: number;
  vocab: number;
  positions: number;
  /** First seed of the per-tensor random streams. */
  seed?: number;
  /** Weight scale of randomFloats. */
  scale?: number;
}

/** A tiny random GPT-2 folder as Hugging Face stores it (Conv1D [in, out], fused c_attn), 4 heads. */
export function randomGpt2Files(o: RandomGpt2Options): { files: ModelFileRef[]; tensors: { name: string; shape: number[]; data: Float32Array }[]; tokenizerJson: Record<string, unknown> } {
  const { hidden: h, inner, vocab, positions } = o;
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  let seed = o.seed ?? 1;
  const add = (name: string, shape: number[]) => tensors.push({ name, shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), seed++, o.scale) });
  add('wte.weight', [vocab, h]);
  add('wpe.weight', [positions, h]);
  add('ln_f.weight', [h]);
  add('ln_f.bias', [h]);
  for (let i = 0; i < o.layers; i++) {
    for (const p of ['ln_1', 'ln_2']) {
      add(`h.${i}.${p}.weight`, [h]);
      add(`h.${i}.${p}.bias`, [h]);
    }
    add(`h.${i}.attn.c_attn.weight`, [h, 3 * h]);
    add(`h.${i}.attn.c_attn.bias`, [3 * h]);
    add(`h.${i}.attn.c_proj.weight`, [h, h]);
    add(`h.${i}.attn.c_proj.bias`, [h]);
    add(`h.${i}.mlp.c_fc.weight`, [h, inner]);
    add(`h.${i}.mlp.c_fc.bias`, [inner]);
    add(`h.${i}.mlp.c_proj.weight`, [inner, h]);
    add(`h.${i}.mlp.c_proj.bias`, [h]);
  }
  const config = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: h, n_layer: o.layers, n_head: 4, n_positions: positions, vocab_size: vocab, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0 };
  const tokenizerJson = { model: { type: 'BPE', vocab: Object.fromEntries(Array.from({ length: vocab }, (_, i) => [`t${i}`, i])), merges: [] }, added_tokens: [] };
  const files = [
    refOf('config.json', JSON.stringify(config)),
    refOf('tokenizer.json', JSON.stringify(tokenizerJson)),
    refOf('model.safetensors', writeSafetensors(tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, bytes: f32Bytes(t.data) })))),
  ];
  return { files, tensors, tokenizerJson };
}
