// One table of bad inputs shared by the unit tests (test/model/bad-inputs.test.ts) and the e2e tests:
// each row builds its files from the real stories260K files (read with node:fs at call time).
// Node only (the e2e calls makeFiles in Node and hands the bytes to the browser).

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LabErrorCode } from '../src/errors';

export interface BadInputFile {
  path: string;
  bytes: Uint8Array;
}

export interface BadInputRow {
  id: string;
  /** 'model': dropped as a model; 'text': used as the evaluation text of a loaded model. */
  kind: 'model' | 'text';
  description: string;
  expectedCode: LabErrorCode;
  /** Must match the error message; names the offending file. */
  messagePattern: RegExp;
  makeFiles(): Promise<BadInputFile[]>;
}

const modelDir = fileURLToPath(new URL('../public/models/stories260K/', import.meta.url));

function real(path: string): BadInputFile {
  return { path, bytes: new Uint8Array(fs.readFileSync(modelDir + path)) };
}

function text(path: string, value: string): BadInputFile {
  return { path, bytes: new TextEncoder().encode(value) };
}

function json(path: string, value: unknown): BadInputFile {
  return text(path, JSON.stringify(value, null, 2));
}

function realJson(path: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(modelDir + path, 'utf8')) as Record<string, unknown>;
}

function cut(file: BadInputFile, fraction: number): BadInputFile {
  return { path: file.path, bytes: file.bytes.slice(0, Math.floor(file.bytes.length * fraction)) };
}

/** Deterministic pseudo-random bytes (a fixed-seed LCG), so the row never flakes. */
function randomBytes(count: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** model.safetensors with its last tensor's data_offsets moved 4 KiB past the end of the file. */
function safetensorsOffsetsPastEnd(): BadInputFile {
  const file = real('model.safetensors');
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: number[] }>;
  const last = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .sort((a, b) => b[1].data_offsets[1] - a[1].data_offsets[1])[0][1];
  last.data_offsets = last.data_offsets.map((o) => o + 4096);
  let newHeader = JSON.stringify(header);
  // Keep the header the same length so every other offset stays valid.
  if (newHeader.length > headerLength) throw new Error('rewritten header grew');
  newHeader = newHeader.padEnd(headerLength, ' ');
  const bytes = new Uint8Array(file.bytes);
  bytes.set(new TextEncoder().encode(newHeader), 8);
  return { path: 'model.safetensors', bytes };
}

export const badInputs: BadInputRow[] = [
  {
    id: 'random-bytes-onnx',
    kind: 'model',
    description: 'random bytes named onnx/model.onnx',
    expectedCode: 'not-a-model',
    messagePattern: /onnx\/model\.onnx: not an ONNX model/,
    makeFiles: async () => [real('config.json'), real('tokenizer.json'), { path: 'onnx/model.onnx', bytes: randomBytes(65536) }],
  },
  {
    id: 'truncated-onnx',
    kind: 'model',
    description: 'onnx/model.onnx cut to 60% of its bytes',
    expectedCode: 'truncated',
    messagePattern: /onnx\/model\.onnx: truncated/,
    makeFiles: async () => [real('config.json'), real('tokenizer.json'), cut(real('onnx/model.onnx'), 0.6)],
  },
  {
    id: 'truncated-safetensors',
    kind: 'model',
    description: 'model.safetensors cut to 70% of its bytes',
    expectedCode: 'truncated',
    messagePattern: /model\.safetensors: truncated: header declares \d+ bytes of tensor data but the file has \d+/,
    makeFiles: async () => [real('config.json'), real('tokenizer.json'), cut(real('model.safetensors'), 0.7)],
  },
  {
    id: 'safetensors-offsets-past-end',
    kind: 'model',
    description: 'a safetensors header whose last tensor points past the end of the file',
    expectedCode: 'corrupt',
    messagePattern: /model\.safetensors: corrupt: tensor '[^']+' has data_offsets \[\d+, \d+\] pointing past the end/,
    makeFiles: async () => [real('config.json'), real('tokenizer.json'), safetensorsOffsetsPastEnd()],
  },
  {
    id: 'config-without-weights',
    kind: 'model',
    description: 'config.json and tokenizer.json but no weights',
    expectedCode: 'missing-file',
    messagePattern: /config\.json found but no model weights \(\.safetensors or \.onnx\)/,
    makeFiles: async () => [real('config.json'), real('tokenizer.json')],
  },
  {
    id: 'weights-without-config',
    kind: 'model',
    description: 'model.safetensors and tokenizer.json but no config.json',
    expectedCode: 'missing-file',
    messagePattern: /no config\.json among the dropped files \(.*model\.safetensors.*\)/,
    makeFiles: async () => [real('model.safetensors'), real('tokenizer.json')],
  },
  {
    id: 'missing-tokenizer',
    kind: 'model',
    description: 'config.json and model.safetensors but no tokenizer.json',
    expectedCode: 'missing-file',
    messagePattern: /no tokenizer\.json among the dropped files/,
    makeFiles: async () => [real('config.json'), real('model.safetensors')],
  },
  {
    id: 'tokenizer-vocab-mismatch',
    kind: 'model',
    description: 'tokenizer.json with 88 extra vocabulary entries beyond the 512-row embedding',
    expectedCode: 'tokenizer-mismatch',
    messagePattern: /tokenizer\.json: its vocabulary has 600 ids but the model's embedding has 512 rows/,
    makeFiles: async () => {
      const tok = realJson('tokenizer.json') as { model: { vocab: Record<string, number> } };
      for (let id = 512; id < 600; id++) tok.model.vocab[`<extra_${id}>`] = id;
      return [real('config.json'), json('tokenizer.json', tok), real('model.safetensors')];
    },
  },
  {
    id: 'unsupported-architecture',
    kind: 'model',
    description: "config.json with model_type 'bert'",
    expectedCode: 'unsupported-architecture',
    messagePattern: /config\.json: model_type 'bert' \(BertForMaskedLM\) is not supported; supported: llama, mistral, qwen2, gpt2/,
    makeFiles: async () => [
      json('config.json', { ...realJson('config.json'), model_type: 'bert', architectures: ['BertForMaskedLM'] }),
      real('tokenizer.json'),
      real('model.safetensors'),
    ],
  },
  {
    id: 'gguf-file',
    kind: 'model',
    description: 'a GGUF file (llama.cpp) dropped alone with config.json',
    expectedCode: 'unsupported-format',
    messagePattern: /model\.gguf: a GGUF \(llama\.cpp\) file/,
    makeFiles: async () => [real('config.json'), { path: 'model.gguf', bytes: new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, ...randomBytes(56)]) }],
  },
  {
    id: 'empty-text',
    kind: 'text',
    description: 'an empty evaluation text file',
    expectedCode: 'bad-text',
    messagePattern: /empty\.txt/,
    makeFiles: async () => [{ path: 'empty.txt', bytes: new Uint8Array(0) }],
  },
];
