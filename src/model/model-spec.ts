// The IR of the pipeline: what a model is, independent of the file it came from.
// Pure data; imports nothing from the runtime, the store or React.
//
// Weight layout is PyTorch nn.Linear for every family: W[out, in], y = x Wᵀ (+ b).
// Importers transpose ONNX MatMul weights ([in, out]) and GPT-2 Conv1D weights into this layout,
// so pruning code sees one convention.

export type ModelFamily = 'llama' | 'gpt2';

/**
 * A dense tensor in row-major order, read as fp32. Importers return StoredWeights
 * (model/stored-weight.ts: held in the file's precision or read lazily; `data` is decoded on access,
 * so read it once per use and never mutate it); edits are fresh plain fp32 tensors.
 */
export interface WeightTensor {
  shape: number[];
  readonly data: Float32Array;
}

/** Shapes of one decoder block. Blocks may differ after pruning. */
export interface LayerSpec {
  /** Index of this block in the model as loaded (before any block removal); 0-based. */
  sourceIndex: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
}

/** RoPE frequency scaling as Hugging Face computes it ('linear': θ_j / factor; 'llama3': Llama 3.1/3.2's banded rule). */
export interface RopeScaling {
  type: 'linear' | 'llama3';
  factor: number;
  /** llama3 only. */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositionEmbeddings?: number;
}

export interface ModelConfig {
  /** config.json model_type as found (llama, mistral, qwen2, gpt2, ...). */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  maxPositionEmbeddings: number;
  /** RMSNorm eps (llama) or LayerNorm eps (gpt2). */
  normEps: number;
  /** RoPE base; llama family only. */
  ropeTheta: number;
  /** config.json rope_scaling that changes the RoPE frequencies (llama family); absent/null = none. */
  ropeScaling?: RopeScaling | null;
  tieWordEmbeddings: boolean;
  /** Llama family: 'silu'; GPT-2: 'gelu_new'. */
  hiddenAct: string;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** config.json as dropped, kept so an export can carry unknown fields through. */
  raw: Record<string, unknown>;
}

export interface ModelSpec {
  family: ModelFamily;
  config: ModelConfig;
  layers: LayerSpec[];
  /**
   * Named weights, canonical names (see weightNames below). Layer names use the block's
   * *current* position i in `layers`, so removing a block re-indexes the names after it.
   */
  weights: Map<string, WeightTensor>;
}

/** Canonical weight names. Llama family uses the Hugging Face names. */
export const llamaNames = {
  embed: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight', // absent when tieWordEmbeddings
  inputNorm: (i: number) => `model.layers.${i}.input_layernorm.weight`,
  postAttnNorm: (i: number) => `model.layers.${i}.post_attention_layernorm.weight`,
  q: (i: number) => `model.layers.${i}.self_attn.q_proj.weight`,
  k: (i: number) => `model.layers.${i}.self_attn.k_proj.weight`,
  v: (i: number) => `model.layers.${i}.self_attn.v_proj.weight`,
  o: (i: number) => `model.layers.${i}.self_attn.o_proj.weight`,
  /** qwen2 has q/k/v biases: `${name without .weight}.bias`. */
  qBias: (i: number) => `model.layers.${i}.self_attn.q_proj.bias`,
  kBias: (i: number) => `model.layers.${i}.self_attn.k_proj.bias`,
  vBias: (i: number) => `model.layers.${i}.self_attn.v_proj.bias`,
  gate: (i: number) => `model.layers.${i}.mlp.gate_proj.weight`,
  up: (i: number) => `model.layers.${i}.mlp.up_proj.weight`,
  down: (i: number) => `model.layers.${i}.mlp.down_proj.weight`,
} as const;

/**
 * GPT-2 names: Hugging Face names, except that c_attn is split into q/k/v_proj and every
 * Conv1D weight is transposed to [out, in] (nn.Linear layout) at import.
 */
export const gpt2Names = {
  embed: 'transformer.wte.weight',
  positions: 'transformer.wpe.weight',
  finalNormWeight: 'transformer.ln_f.weight',
  finalNormBias: 'transformer.ln_f.bias',
  ln1Weight: (i: number) => `transformer.h.${i}.ln_1.weight`,
  ln1Bias: (i: number) => `transformer.h.${i}.ln_1.bias`,
  ln2Weight: (i: number) => `transformer.h.${i}.ln_2.weight`,
  ln2Bias: (i: number) => `transformer.h.${i}.ln_2.bias`,
  q: (i: number) => `transformer.h.${i}.attn.q_proj.weight`,
  k: (i: number) => `transformer.h.${i}.attn.k_proj.weight`,
  v: (i: number) => `transformer.h.${i}.attn.v_proj.weight`,
  qBias: (i: number) => `transformer.h.${i}.attn.q_proj.bias`,
  kBias: (i: number) => `transformer.h.${i}.attn.k_proj.bias`,
  vBias: (i: number) => `transformer.h.${i}.attn.v_proj.bias`,
  o: (i: number) => `transformer.h.${i}.attn.c_proj.weight`,
  oBias: (i: number) => `transformer.h.${i}.attn.c_proj.bias`,
  fc: (i: number) => `transformer.h.${i}.mlp.c_fc.weight`,
  fcBias: (i: number) => `transformer.h.${i}.mlp.c_fc.bias`,
  proj: (i: number) => `transformer.h.${i}.mlp.c_proj.weight`,
  projBias: (i: number) => `transformer.h.${i}.mlp.c_proj.bias`,
} as const;

/** A weight of a decoder block (either family): [1] the prefix, [2] the block index, [3] the rest of the name. */
export const BLOCK_WEIGHT_NAME = /^(model\.layers|transformer\.h)\.(\d+)\.(.*)$/;

/** The prunable linear layers of block i (embeddings and lm_head excluded), [out, in] each. */
export function blockLinearNames(spec: ModelSpec, i: number): string[] {
  if (spec.family === 'llama') {
    const n = llamaNames;
    return [n.q(i), n.k(i), n.v(i), n.o(i), n.gate(i), n.up(i), n.down(i)];
  }
  const n = gpt2Names;
  return [n.q(i), n.k(i), n.v(i), n.o(i), n.fc(i), n.proj(i)];
}

/** The token embedding and an untied output head (absent when tied): what "train the embeddings" trains. */
export function embeddingWeightNames(spec: ModelSpec): string[] {
  const names = spec.family === 'llama' ? [llamaNames.embed, llamaNames.lmHead] : [gpt2Names.embed, 'lm_head.weight'];
  return names.filter((n) => spec.weights.has(n));
}

export function getWeight(spec: ModelSpec, name: string): WeightTensor {
  const w = spec.weights.get(name);
  if (!w) throw new Error(`ModelSpec has no weight named ${name}`);
  return w;
}

/** Elements of a weight, from its shape (never reads a stored weight's values). */
export function elementCount(w: WeightTensor): number {
  return w.shape.reduce((n, d) => n * d, 1);
}

/** Total parameter count (tied embeddings counted once). */
export function parameterCount(spec: ModelSpec): number {
  let n = 0;
  for (const w of spec.weights.values()) n += elementCount(w);
  return n;
}
