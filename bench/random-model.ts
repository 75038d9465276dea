// Writes a random-weight Llama-family model folder with given shapes (default: SmolLM2-135M's),
// for speed benchmarks where weight values do not matter. Node only.
//   tsx bench/random-model.ts --out bench/out/smollm2-135m-random [--preset smollm2-135m]

import fs from 'node:fs';
import path from 'node:path';
import { writeSafetensors, type SafetensorsEntry } from '../src/export/safetensors-writer';

export interface LlamaShape {
  name: string;
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
}

export const presets: Record<string, LlamaShape> = {
  'smollm2-135m': {
    name: 'smollm2-135m-random',
    numLayers: 30,
    hiddenSize: 576,
    numHeads: 9,
    numKvHeads: 3,
    intermediateSize: 1536,
    vocabSize: 49152,
    maxPositionEmbeddings: 2048,
  },
};

/** Deterministic N(0, std²) via xorshift32 + Box–Muller. */
function gaussianFill(data: Float32Array, seed: number, std: number): void {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    data[i] = r * Math.cos(t) * std;
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(t) * std;
  }
}

export function randomLlamaEntries(shape: LlamaShape, seed = 1): SafetensorsEntry[] {
  const d = shape.hiddenSize;
  const headDim = d / shape.numHeads;
  const kvDim = headDim * shape.numKvHeads;
  const f = shape.intermediateSize;
  const entries: SafetensorsEntry[] = [];
  let n = seed;
  const random = (name: string, dims: number[]) => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    gaussianFill(data, n++ * 2654435761, 0.02);
    entries.push({ name, shape: dims, data });
  };
  const ones = (name: string) => entries.push({ name, shape: [d], data: new Float32Array(d).fill(1) });
  random('model.embed_tokens.weight', [shape.vocabSize, d]);
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`;
    ones(`${p}.input_layernorm.weight`);
    random(`${p}.self_attn.q_proj.weight`, [d, d]);
    random(`${p}.self_attn.k_proj.weight`, [kvDim, d]);
    random(`${p}.self_attn.v_proj.weight`, [kvDim, d]);
    random(`${p}.self_attn.o_proj.weight`, [d, d]);
    ones(`${p}.post_attention_layernorm.weight`);
    random(`${p}.mlp.gate_proj.weight`, [f, d]);
    random(`${p}.mlp.up_proj.weight`, [f, d]);
    random(`${p}.mlp.down_proj.weight`, [d, f]);
  }
  ones('model.norm.weight');
  return entries;
}

export function llamaConfig(shape: LlamaShape): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    num_hidden_layers: shape.numLayers,
    num_attention_heads: shape.numHeads,
    num_key_value_heads: shape.numKvHeads,
    head_dim: shape.hiddenSize / shape.numHeads,
    hidden_act: 'silu',
    max_position_embeddings: shape.maxPositionEmbeddings,
    rms_norm_eps: 1e-5,
    rope_theta: 100000,
    tie_word_embeddings: true,
    vocab_size: shape.vocabSize,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  };
}

/** A word-level tokenizer with `vocabSize` ids: enough for benchmarks that feed token ids. */
export function syntheticTokenizer(vocabSize: number): Record<string, unknown> {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let i = 3; i < vocabSize; i++) vocab[`w${i}`] = i;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
}

export function writeRandomModelFolder(outDir: string, shape: LlamaShape): { dir: string; bytes: number } {
  fs.mkdirSync(outDir, { recursive: true });
  const file = writeSafetensors(randomLlamaEntries(shape));
  const fd = fs.openSync(path.join(outDir, 'model.safetensors'), 'w');
  for (const part of file.parts) fs.writeSync(fd, part);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify(llamaConfig(shape), null, 2));
  fs.writeFileSync(path.join(outDir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: 2 }, null, 2));
  fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(syntheticTokenizer(shape.vocabSize)));
  fs.writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' }));
  return { dir: outDir, bytes: file.byteLength };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const outIdx = process.argv.indexOf('--out');
  const presetIdx = process.argv.indexOf('--preset');
  const preset = presets[presetIdx > 0 ? process.argv[presetIdx + 1] : 'smollm2-135m'];
  const out = outIdx > 0 ? process.argv[outIdx + 1] : `bench/out/${preset.name}`;
  const t0 = performance.now();
  const result = writeRandomModelFolder(out, preset);
  console.log(JSON.stringify({ ...result, preset: preset.name, elapsedMs: Math.round(performance.now() - t0) }));
}
