// Writes a random-weight Llama-family model folder with the shapes and config.json of a real release
// (SmolLM2-135M/360M, Qwen2.5-0.5B, Llama-3.2-1B), for speed and memory benchmarks where weight
// values do not matter. Tensors are generated and written one chunk at a time, so the generator's
// own memory stays at a few MiB even for the 2.5 GB fp16 Llama-3.2-1B file. Node only.
//   npx tsx bench/random-model.ts [--preset smollm2-135m] [--dtype f16|f32] [--out <dir>]
// Default --out: bench/out/<preset>-random-<dtype>.

import fs from 'node:fs';
import path from 'node:path';
import { float32ToFloat16Bytes } from '../src/export/safetensors-writer';

export type WeightDtype = 'f16' | 'f32';
export const weightDtypes: WeightDtype[] = ['f16', 'f32'];

export interface SpecialToken {
  id: number;
  content: string;
}

export interface LlamaShape {
  name: string;
  /** config.json model_type ('llama' or 'qwen2') and architectures. */
  modelType: 'llama' | 'qwen2';
  architectures: string[];
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  ropeTheta: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  /** q_proj/k_proj/v_proj carry biases (Qwen2). */
  attentionBias: boolean;
  bosTokenId: number;
  eosTokenId: number;
  /** Special tokens of the real tokenizer placed at their real ids; the first is also the WordLevel unk. */
  specialTokens: SpecialToken[];
  /** The release's other config.json keys (informational; our importer ignores them). */
  extraConfig: Record<string, unknown>;
  /** config.json states head_dim (Llama 3.2 does; SmolLM2 and Qwen2.5 leave it implied by hidden_size / heads). */
  headDimInConfig?: boolean;
}

const smollmSpecials: SpecialToken[] = [
  { id: 0, content: '<|endoftext|>' },
  { id: 1, content: '<|im_start|>' },
  { id: 2, content: '<|im_end|>' },
];

const smollmExtra = {
  attention_bias: false,
  attention_dropout: 0.0,
  initializer_range: 0.02,
  is_llama_config: true,
  pretraining_tp: 1,
  rope_interleaved: false,
  rope_scaling: null,
  use_cache: true,
};

export const presets: Record<string, LlamaShape> = {
  // HuggingFaceTB/SmolLM2-135M
  'smollm2-135m': {
    name: 'smollm2-135m-random',
    modelType: 'llama',
    architectures: ['LlamaForCausalLM'],
    numLayers: 30,
    hiddenSize: 576,
    numHeads: 9,
    numKvHeads: 3,
    intermediateSize: 1536,
    vocabSize: 49152,
    maxPositionEmbeddings: 8192,
    ropeTheta: 100000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    bosTokenId: 0,
    eosTokenId: 0,
    specialTokens: smollmSpecials,
    extraConfig: { ...smollmExtra, initializer_range: 0.041666666666666664 },
  },
  // HuggingFaceTB/SmolLM2-360M
  'smollm2-360m': {
    name: 'smollm2-360m-random',
    modelType: 'llama',
    architectures: ['LlamaForCausalLM'],
    numLayers: 32,
    hiddenSize: 960,
    numHeads: 15,
    numKvHeads: 5,
    intermediateSize: 2560,
    vocabSize: 49152,
    maxPositionEmbeddings: 8192,
    ropeTheta: 100000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    bosTokenId: 0,
    eosTokenId: 0,
    specialTokens: smollmSpecials,
    extraConfig: smollmExtra,
  },
  // Qwen/Qwen2.5-0.5B
  'qwen2.5-0.5b': {
    name: 'qwen2.5-0.5b-random',
    modelType: 'qwen2',
    architectures: ['Qwen2ForCausalLM'],
    numLayers: 24,
    hiddenSize: 896,
    numHeads: 14,
    numKvHeads: 2,
    intermediateSize: 4864,
    vocabSize: 151936,
    maxPositionEmbeddings: 32768,
    ropeTheta: 1000000,
    rmsNormEps: 1e-6,
    tieWordEmbeddings: true,
    attentionBias: true,
    bosTokenId: 151643,
    eosTokenId: 151643,
    specialTokens: [
      { id: 151643, content: '<|endoftext|>' },
      { id: 151644, content: '<|im_start|>' },
      { id: 151645, content: '<|im_end|>' },
    ],
    extraConfig: {
      attention_dropout: 0.0,
      initializer_range: 0.02,
      max_window_layers: 24,
      sliding_window: 32768,
      use_cache: true,
      use_mrope: false,
      use_sliding_window: false,
    },
  },
  // meta-llama/Llama-3.2-1B, with its rope_scaling (llama3; src/model/importers/hf-config.ts reads it).
  'llama-3.2-1b': {
    name: 'llama-3.2-1b-random',
    modelType: 'llama',
    architectures: ['LlamaForCausalLM'],
    numLayers: 16,
    hiddenSize: 2048,
    numHeads: 32,
    numKvHeads: 8,
    intermediateSize: 8192,
    vocabSize: 128256,
    maxPositionEmbeddings: 131072,
    ropeTheta: 500000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    bosTokenId: 128000,
    eosTokenId: 128001,
    specialTokens: [
      { id: 128001, content: '<|end_of_text|>' },
      { id: 128000, content: '<|begin_of_text|>' },
    ],
    extraConfig: {
      attention_bias: false,
      attention_dropout: 0.0,
      initializer_range: 0.02,
      mlp_bias: false,
      pretraining_tp: 1,
      rope_scaling: { factor: 32, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192, rope_type: 'llama3' },
      use_cache: true,
    },
    headDimInConfig: true,
  },
};

/** The preset of that name, or an error listing the known ones. */
export function presetByName(name: string): LlamaShape {
  if (!Object.hasOwn(presets, name)) throw new Error(`unknown preset '${name}'; presets: ${Object.keys(presets).join(', ')}`);
  return presets[name];
}

/** Deterministic N(0, std²) stream: xorshift32 + Box–Muller; fills chunks in order (chunk lengths even). */
export function gaussianStream(seed: number, std: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return (data: Float32Array) => {
    for (let i = 0; i < data.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(next()));
      const t = 2 * Math.PI * next();
      data[i] = r * Math.cos(t) * std;
      if (i + 1 < data.length) data[i + 1] = r * Math.sin(t) * std;
    }
  };
}

export interface TensorPlan {
  name: string;
  shape: number[];
  /** 'ones' for norms; otherwise the seed of its N(0, 0.02²) values. */
  fill: 'ones' | { seed: number };
}

const WEIGHT_STD = 0.02;

/** Every tensor of the model in file order, with how its values are made (no data yet). */
export function randomLlamaPlan(shape: LlamaShape, seed = 1): TensorPlan[] {
  const d = shape.hiddenSize;
  const headDim = d / shape.numHeads;
  const qDim = headDim * shape.numHeads;
  const kvDim = headDim * shape.numKvHeads;
  const f = shape.intermediateSize;
  const plan: TensorPlan[] = [];
  let n = seed;
  const random = (name: string, dims: number[]) => plan.push({ name, shape: dims, fill: { seed: n++ * 2654435761 } });
  const ones = (name: string) => plan.push({ name, shape: [d], fill: 'ones' });
  random('model.embed_tokens.weight', [shape.vocabSize, d]);
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`;
    ones(`${p}.input_layernorm.weight`);
    random(`${p}.self_attn.q_proj.weight`, [qDim, d]);
    random(`${p}.self_attn.k_proj.weight`, [kvDim, d]);
    random(`${p}.self_attn.v_proj.weight`, [kvDim, d]);
    if (shape.attentionBias) {
      random(`${p}.self_attn.q_proj.bias`, [qDim]);
      random(`${p}.self_attn.k_proj.bias`, [kvDim]);
      random(`${p}.self_attn.v_proj.bias`, [kvDim]);
    }
    random(`${p}.self_attn.o_proj.weight`, [d, qDim]);
    ones(`${p}.post_attention_layernorm.weight`);
    random(`${p}.mlp.gate_proj.weight`, [f, d]);
    random(`${p}.mlp.up_proj.weight`, [f, d]);
    random(`${p}.mlp.down_proj.weight`, [d, f]);
  }
  ones('model.norm.weight');
  if (!shape.tieWordEmbeddings) random('lm_head.weight', [shape.vocabSize, d]);
  return plan;
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Parameter count of the preset (what the safetensors file holds). */
export function parameterCount(shape: LlamaShape): number {
  return randomLlamaPlan(shape).reduce((a, t) => a + count(t.shape), 0);
}

/** Header padding to 8 bytes, as the reference implementation and src/export/safetensors-writer do. */
function safetensorsHeader(plan: TensorPlan[], dtype: WeightDtype): { head: Uint8Array; dataBytes: number } {
  const bytesPer = dtype === 'f32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of plan) {
    const end = offset + count(t.shape) * bytesPer;
    header[t.name] = { dtype: dtype === 'f32' ? 'F32' : 'F16', shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + jsonBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  head.set(jsonBytes, 8);
  return { head, dataBytes: offset };
}

/** Elements per generated chunk (even, so the Box–Muller pairs do not depend on the chunking). */
const CHUNK = 1 << 20;

/** Streams model.safetensors: header, then each tensor chunk by chunk. Returns the file size. */
export function writeRandomSafetensors(file: string, shape: LlamaShape, dtype: WeightDtype, seed = 1): number {
  const plan = randomLlamaPlan(shape, seed);
  const { head, dataBytes } = safetensorsHeader(plan, dtype);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head);
    const buf = new Float32Array(CHUNK);
    for (const t of plan) {
      const total = count(t.shape);
      const fill = t.fill === 'ones' ? (a: Float32Array) => a.fill(1) : gaussianStream(t.fill.seed, WEIGHT_STD);
      for (let done = 0; done < total; done += CHUNK) {
        const part = buf.subarray(0, Math.min(CHUNK, total - done));
        fill(part);
        fs.writeSync(fd, dtype === 'f32' ? new Uint8Array(part.buffer, part.byteOffset, part.byteLength) : float32ToFloat16Bytes(part));
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return head.length + dataBytes;
}

/** config.json as the release has it (torch_dtype says what this file holds: the releases are bfloat16). */
export function llamaConfig(shape: LlamaShape, dtype: WeightDtype = 'f32'): Record<string, unknown> {
  const headDim = shape.hiddenSize / shape.numHeads;
  return {
    architectures: shape.architectures,
    model_type: shape.modelType,
    ...shape.extraConfig,
    bos_token_id: shape.bosTokenId,
    eos_token_id: shape.eosTokenId,
    hidden_act: 'silu',
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: shape.maxPositionEmbeddings,
    num_attention_heads: shape.numHeads,
    num_hidden_layers: shape.numLayers,
    num_key_value_heads: shape.numKvHeads,
    ...(shape.headDimInConfig ? { head_dim: headDim } : {}),
    rms_norm_eps: shape.rmsNormEps,
    rope_theta: shape.ropeTheta,
    tie_word_embeddings: shape.tieWordEmbeddings,
    torch_dtype: dtype === 'f32' ? 'float32' : 'float16',
    vocab_size: shape.vocabSize,
  };
}

const legacySpecials: SpecialToken[] = [
  { id: 0, content: '<unk>' },
  { id: 1, content: '<s>' },
  { id: 2, content: '</s>' },
];

/**
 * A word-level tokenizer whose vocabulary covers every id below `vocabSize`: the special tokens at
 * their ids, `w<id>` elsewhere; text splits on whitespace and unknown words become the first special
 * token. Enough for benchmarks that feed token ids (real text tokenizes mostly to that one id).
 */
export function syntheticTokenizer(vocabSize: number, specials: SpecialToken[] = legacySpecials): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  const special = new Map(specials.map((t) => [t.id, t.content]));
  for (let i = 0; i < vocabSize; i++) vocab[special.get(i) ?? `w${i}`] = i;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...specials]
      .sort((a, b) => a.id - b.id)
      .map((t) => ({ id: t.id, content: t.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: specials[0].content },
  };
}

export interface RandomModelResult {
  dir: string;
  preset: string;
  dtype: WeightDtype;
  parameters: number;
  bytes: number;
}

export function writeRandomModelFolder(
  outDir: string,
  shape: LlamaShape,
  options: { dtype?: WeightDtype; seed?: number } = {},
): RandomModelResult {
  const dtype = options.dtype ?? 'f16';
  fs.mkdirSync(outDir, { recursive: true });
  const name = (id: number) => shape.specialTokens.find((t) => t.id === id)?.content ?? null;
  // Side files first, model.safetensors last: a folder with the weights file is complete.
  fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify(llamaConfig(shape, dtype), null, 2));
  fs.writeFileSync(
    path.join(outDir, 'generation_config.json'),
    JSON.stringify({ bos_token_id: shape.bosTokenId, eos_token_id: shape.eosTokenId }, null, 2),
  );
  fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(syntheticTokenizer(shape.vocabSize, shape.specialTokens)));
  fs.writeFileSync(
    path.join(outDir, 'tokenizer_config.json'),
    JSON.stringify({ bos_token: name(shape.bosTokenId), eos_token: name(shape.eosTokenId), unk_token: shape.specialTokens[0].content }),
  );
  const tmp = path.join(outDir, 'model.safetensors.partial');
  const bytes = writeRandomSafetensors(tmp, shape, dtype, options.seed);
  fs.renameSync(tmp, path.join(outDir, 'model.safetensors'));
  return { dir: outDir, preset: shape.name, dtype, parameters: parameterCount(shape), bytes };
}

export function defaultOutDir(presetName: string, dtype: WeightDtype): string {
  return `bench/out/${presetByName(presetName).name}-${dtype}`;
}

/**
 * A benchmark's row for a preset: its folder (`defaultOutDir`, written first when missing, with the
 * seconds it took as `generatedS`), parameter count, fp32/fp16 weight bytes and file size; `error`
 * set (and no `fileBytes`) when the folder could not be written.
 */
export function presetFolderRow(name: string, dtype: WeightDtype, log: (line: string) => void): { dir: string; params: number; row: Record<string, unknown> } {
  const shape = presetByName(name);
  const dir = path.resolve(defaultOutDir(name, dtype));
  const params = parameterCount(shape);
  const row: Record<string, unknown> = { preset: name, model: path.relative(process.cwd(), dir), dtype, params, fp32WeightBytes: params * 4, fp16WeightBytes: params * 2 };
  try {
    if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
      log(`writing ${dir}`);
      const started = performance.now();
      writeRandomModelFolder(dir, shape, { dtype });
      row.generatedS = Math.round((performance.now() - started) / 100) / 10;
    }
    row.fileBytes = fs.statSync(path.join(dir, 'model.safetensors')).size;
  } catch (e) {
    row.error = `generating the model failed: ${(e as Error).message}`;
  }
  return { dir, params, row };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const flag = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  try {
    const presetName = flag('preset') ?? 'smollm2-135m';
    const preset = presetByName(presetName);
    const dtype = (flag('dtype') ?? 'f16') as WeightDtype;
    if (!weightDtypes.includes(dtype)) throw new Error(`--dtype must be one of ${weightDtypes.join(', ')}, got ${dtype}`);
    const out = flag('out') ?? defaultOutDir(presetName, dtype);
    const t0 = performance.now();
    const result = writeRandomModelFolder(out, preset, { dtype });
    console.log(JSON.stringify({ ...result, elapsedMs: Math.round(performance.now() - t0) }));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
