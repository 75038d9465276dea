// config.json (+ generation_config.json) → ModelConfig and per-layer LayerSpecs for the families we
// build. Unknown model_type → 'unsupported-architecture'. Pure module.

import { LabError } from '../../errors';
import type { LayerSpec, ModelConfig, ModelFamily, RopeScaling } from '../model-spec';

export const SUPPORTED_MODEL_TYPES: Record<string, ModelFamily> = {
  llama: 'llama',
  mistral: 'llama',
  qwen2: 'llama',
  smollm: 'llama',
  gpt2: 'gpt2',
};

export interface ParsedConfig {
  family: ModelFamily;
  config: ModelConfig;
  layers: LayerSpec[];
  /** q/k/v projections carry biases (qwen2 always, llama with attention_bias). */
  attentionBias: boolean;
}

function num(raw: Record<string, unknown>, key: string, path: string, fallback?: number): number {
  const v = raw[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  throw new LabError('corrupt', `${path}: '${key}' is ${v === undefined ? 'missing' : `not a number (${JSON.stringify(v)})`}`, { path, key });
}

/** Upper bounds far above any released small LLM: a value past them is a broken config, not a model. */
const LIMITS = { layers: 1024, heads: 4096, width: 1 << 17, ffn: 1 << 20, vocab: 1 << 22, positions: 1 << 24 } as const;

/**
 * A whole-number config field in [min, max] (counts and sizes): a fraction, 0 or a negative count, or an
 * absurd value (num_hidden_layers 1e9 would allocate until the heap runs out) is refused by name.
 */
function whole(raw: Record<string, unknown>, key: string, path: string, min: number, max: number, fallback?: number): number {
  const v = num(raw, key, path, fallback);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new LabError('corrupt', `${path}: '${key}' is ${v}; it must be a whole number from ${min} to ${max}`, { path, key, value: v });
  return v;
}

/** A positive finite config field (epsilons, rope theta): 0 or a negative value gives NaN logits, refused by name. */
function positive(raw: Record<string, unknown>, key: string, path: string, fallback: number, max = Number.MAX_VALUE): number {
  const v = num(raw, key, path, fallback);
  if (!(v > 0)) throw new LabError('corrupt', `${path}: '${key}' is ${v}; it must be positive`, { path, key, value: v });
  if (v > max) throw new LabError('corrupt', `${path}: '${key}' is ${v}; it must be at most ${max}`, { path, key, value: v });
  return v;
}

function ids(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

/**
 * Token ids (bos, eos) must be whole numbers of a plausible size: a fraction or 2^53 is a broken file. Not
 * bounded by vocab_size: some releases name ids of tokens added past it.
 */
function checkTokenIds(key: string, values: number[], path: string): void {
  const bad = values.find((id) => !Number.isInteger(id) || id < 0 || id >= LIMITS.vocab);
  if (bad !== undefined) throw new LabError('corrupt', `${path}: '${key}' ${bad} is not a token id (a whole number from 0 to ${LIMITS.vocab - 1})`, { path, key, value: bad });
}

export function parseHfConfig(
  raw: Record<string, unknown>,
  generation: Record<string, unknown> | null,
  path = 'config.json',
): ParsedConfig {
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : '';
  // Own keys only: 'toString' or '__proto__' must not find Object.prototype's members.
  const family = Object.hasOwn(SUPPORTED_MODEL_TYPES, modelType) ? SUPPORTED_MODEL_TYPES[modelType] : undefined;
  if (!family) {
    const arch = Array.isArray(raw.architectures) ? ` (${raw.architectures.join(', ')})` : '';
    const found = modelType ? `model_type '${modelType}'${arch}` : `no model_type${arch}`;
    throw new LabError(
      'unsupported-architecture',
      `${path}: ${found} is not supported; supported: llama, mistral, qwen2, gpt2`,
      { path, modelType },
    );
  }
  refuseUnimplemented(raw, family, path);
  const eos = ids(generation?.eos_token_id ?? raw.eos_token_id);
  const bos = typeof raw.bos_token_id === 'number' ? raw.bos_token_id : null;
  checkTokenIds('bos_token_id', bos === null ? [] : [bos], path);
  checkTokenIds('eos_token_id', eos, path);
  if (family === 'gpt2') {
    const hidden = whole(raw, 'n_embd', path, 1, LIMITS.width);
    const heads = whole(raw, 'n_head', path, 1, LIMITS.heads);
    const nLayers = whole(raw, 'n_layer', path, 1, LIMITS.layers);
    const inner = whole(raw, 'n_inner', path, 1, LIMITS.ffn, 4 * hidden);
    const config: ModelConfig = {
      modelType,
      vocabSize: whole(raw, 'vocab_size', path, 1, LIMITS.vocab),
      hiddenSize: hidden,
      maxPositionEmbeddings: whole(raw, 'n_positions', path, 2, LIMITS.positions, 1024),
      normEps: positive(raw, 'layer_norm_epsilon', path, 1e-5, 1),
      ropeTheta: 0,
      tieWordEmbeddings: raw.tie_word_embeddings !== false,
      hiddenAct: typeof raw.activation_function === 'string' ? raw.activation_function : 'gelu_new',
      bosTokenId: bos,
      eosTokenIds: eos,
      raw,
    };
    checkHeads(hidden, heads, path);
    const layers = Array.from({ length: nLayers }, (_, i) => ({
      sourceIndex: i, numHeads: heads, numKvHeads: heads, headDim: hidden / heads, intermediateSize: inner,
    }));
    return { family, config, layers, attentionBias: true };
  }
  const hidden = whole(raw, 'hidden_size', path, 1, LIMITS.width);
  const heads = whole(raw, 'num_attention_heads', path, 1, LIMITS.heads);
  const kvHeads = whole(raw, 'num_key_value_heads', path, 1, heads, heads);
  if (raw.head_dim === undefined || raw.head_dim === null) checkHeads(hidden, heads, path);
  const headDim = whole(raw, 'head_dim', path, 1, LIMITS.width, hidden / heads);
  const intermediate = whole(raw, 'intermediate_size', path, 1, LIMITS.ffn);
  const nLayers = whole(raw, 'num_hidden_layers', path, 1, LIMITS.layers);
  if (heads % kvHeads !== 0) {
    throw new LabError('corrupt', `${path}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`, { path });
  }
  const config: ModelConfig = {
    modelType,
    vocabSize: whole(raw, 'vocab_size', path, 1, LIMITS.vocab),
    hiddenSize: hidden,
    maxPositionEmbeddings: whole(raw, 'max_position_embeddings', path, 2, LIMITS.positions, 2048),
    normEps: positive(raw, 'rms_norm_eps', path, 1e-6, 1),
    ropeTheta: positive(raw, 'rope_theta', path, 10000, 1e12),
    ropeScaling: ropeScalingOf(raw, path),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    hiddenAct: typeof raw.hidden_act === 'string' ? raw.hidden_act : 'silu',
    bosTokenId: bos,
    eosTokenIds: eos,
    raw,
  };
  const layers = Array.from({ length: nLayers }, (_, i) => ({
    sourceIndex: i, numHeads: heads, numKvHeads: kvHeads, headDim, intermediateSize: intermediate,
  }));
  return { family, config, layers, attentionBias: modelType === 'qwen2' || raw.attention_bias === true };
}

/** config.json rope_scaling: none, 'linear' or 'llama3'; any other kind is refused, never ignored. */
export function ropeScalingOf(raw: Record<string, unknown>, path: string): RopeScaling | null {
  const r = raw.rope_scaling;
  if (r === undefined || r === null) return null;
  if (typeof r !== 'object' || Array.isArray(r)) throw new LabError('corrupt', `${path}: rope_scaling must be an object or null`, { path });
  const o = r as Record<string, unknown>;
  const type = o.rope_type ?? o.type;
  if (type === 'default') return null;
  const factor = num(o, 'factor', `${path} rope_scaling`);
  if (!(factor > 0)) throw new LabError('corrupt', `${path}: rope_scaling.factor must be positive, got ${factor}`, { path });
  if (type === 'linear') return { type: 'linear', factor };
  if (type === 'llama3') {
    const low = num(o, 'low_freq_factor', `${path} rope_scaling`);
    const high = num(o, 'high_freq_factor', `${path} rope_scaling`);
    const original = num(o, 'original_max_position_embeddings', `${path} rope_scaling`);
    if (!(high > low && low > 0 && original > 0))
      throw new LabError('corrupt', `${path}: rope_scaling llama3 needs high_freq_factor > low_freq_factor > 0 and original_max_position_embeddings > 0`, { path });
    return { type: 'llama3', factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: original };
  }
  throw new LabError(
    'unsupported-architecture',
    `${path}: rope_scaling type '${String(type)}' is not supported (supported: linear, llama3); the model would run with wrong positions`,
    { path, ropeScaling: type },
  );
}

/**
 * Config fields that change what the model computes but that the graphs do not build are refused by name:
 * ignoring them would load a model that runs and gives wrong numbers.
 */
function refuseUnimplemented(raw: Record<string, unknown>, family: ModelFamily, path: string): void {
  const refuse = (field: string, value: unknown, why: string) => {
    throw new LabError('unsupported-architecture', `${path}: ${field} ${JSON.stringify(value)} is not implemented (${why})`, { path, field, value });
  };
  if (family === 'gpt2') {
    const act = raw.activation_function;
    if (act !== undefined && act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') refuse('activation_function', act, 'the lab builds gelu_new only');
    if (raw.scale_attn_by_inverse_layer_idx === true) refuse('scale_attn_by_inverse_layer_idx', true, 'attention is scaled by 1/√head_dim only');
    if (raw.scale_attn_weights === false) refuse('scale_attn_weights', false, 'attention is always scaled by 1/√head_dim');
    return;
  }
  const act = raw.hidden_act;
  if (act !== undefined && act !== 'silu' && act !== 'swish') refuse('hidden_act', act, 'the lab builds SiLU (silu) MLPs only');
  if (raw.mlp_bias === true) refuse('mlp_bias', true, 'the MLP projections are built without biases');
  if (raw.use_sliding_window === true) refuse('use_sliding_window', true, 'attention is full-context; sliding-window attention is not built');
  const window = raw.sliding_window;
  const positions = typeof raw.max_position_embeddings === 'number' ? raw.max_position_embeddings : 2048;
  if (raw.use_sliding_window === undefined && typeof window === 'number' && window < positions)
    refuse('sliding_window', window, `attention is full-context; windows longer than ${window} tokens would be computed wrongly`);
  const rotary = raw.partial_rotary_factor;
  if (rotary !== undefined && rotary !== null && rotary !== 1) refuse('partial_rotary_factor', rotary, 'rotary embeddings are applied to the whole head');
}

function checkHeads(hidden: number, heads: number, path: string): void {
  if (heads <= 0 || hidden % heads !== 0) {
    throw new LabError('corrupt', `${path}: hidden size ${hidden} is not divisible by ${heads} attention heads`, { path });
  }
}
