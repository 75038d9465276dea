// Test-only loader for the real stories260K model (fp32 safetensors, HF llama names, tied
// embeddings) and its tokenizer, independent of src/model so graph/runtime tests stand alone.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelSpec, WeightTensor } from '../../src/model/model-spec';

const here = dirname(fileURLToPath(import.meta.url));
export const STORIES_DIR = join(here, '../../public/models/stories260K');
export const GENAI_DIR = join(here, '../fixtures/models/stories260K-genai-style');
export const TINYSTORIES_TEXT = join(here, '../../public/data/tinystories-valid-sample.txt');

export function readSafetensors(path: string): Map<string, WeightTensor> {
  const buf = readFileSync(path);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLen;
  const out = new Map<string, WeightTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`${path}: ${name} is ${t.dtype}, expected F32`);
    const [a, b] = t.data_offsets;
    const bytes = buf.subarray(base + a, base + b);
    out.set(name, { shape: t.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) });
  }
  return out;
}

export function loadStories260K(): ModelSpec {
  const cfg = JSON.parse(readFileSync(join(STORIES_DIR, 'config.json'), 'utf8'));
  const headDim = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
  return {
    family: 'llama',
    config: {
      modelType: cfg.model_type,
      vocabSize: cfg.vocab_size,
      hiddenSize: cfg.hidden_size,
      maxPositionEmbeddings: cfg.max_position_embeddings,
      normEps: cfg.rms_norm_eps,
      ropeTheta: cfg.rope_theta,
      tieWordEmbeddings: cfg.tie_word_embeddings,
      hiddenAct: cfg.hidden_act,
      bosTokenId: 1,
      eosTokenIds: [2, 1],
      raw: cfg,
    },
    layers: Array.from({ length: cfg.num_hidden_layers }, (_, i) => ({
      sourceIndex: i,
      numHeads: cfg.num_attention_heads,
      numKvHeads: cfg.num_key_value_heads,
      headDim,
      intermediateSize: cfg.intermediate_size,
    })),
    weights: readSafetensors(join(STORIES_DIR, 'model.safetensors')),
  };
}

export function loadStoriesTokenizer(): Tokenizer {
  const json = JSON.parse(readFileSync(join(STORIES_DIR, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(STORIES_DIR, 'tokenizer_config.json'), 'utf8'));
  return new Tokenizer(json, config);
}

/** The TinyStories sample encoded once (with the leading <s>), as the papers' protocol does. */
export function tinyStoriesIds(): number[] {
  return loadStoriesTokenizer().encode(readFileSync(TINYSTORIES_TEXT, 'utf8')).ids;
}
