// Unit tests for config.json → ParsedConfig (src/model/importers/hf-config.ts). Pure, no model files.
// Expected values are written from what the Hugging Face config keys mean, not computed by the project.

import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { parseHfConfig } from '../../src/model/importers/hf-config';

/** A TinyLlama-like config.json (22 layers shrunk to 2). */
function llama(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 2048,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    intermediate_size: 5632,
    num_hidden_layers: 2,
    vocab_size: 32000,
    ...extra,
  };
}

/** A distilgpt2-like config.json. */
function gpt2(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_embd: 768,
    n_head: 12,
    n_layer: 2,
    vocab_size: 50257,
    ...extra,
  };
}

function without(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...raw };
  delete copy[key];
  return copy;
}

/** Runs fn, expects a LabError, returns it. */
function labError(fn: () => unknown): LabError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LabError);
    return e as LabError;
  }
  throw new Error('expected a LabError, nothing was thrown');
}

describe('parseHfConfig: llama family', () => {
  it('reads every field and derives head_dim from hidden_size / num_attention_heads', () => {
    const raw = llama({
      max_position_embeddings: 2048 * 2,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      tie_word_embeddings: true,
      hidden_act: 'swish',
      bos_token_id: 1,
      eos_token_id: 2,
    });
    const p = parseHfConfig(raw, null);
    expect(p.family).toBe('llama');
    expect(p.attentionBias).toBe(false);
    expect(p.config).toEqual({
      modelType: 'llama',
      vocabSize: 32000,
      hiddenSize: 2048,
      maxPositionEmbeddings: 4096,
      normEps: 1e-5,
      ropeTheta: 500000,
      ropeScaling: null,
      tieWordEmbeddings: true,
      hiddenAct: 'swish',
      bosTokenId: 1,
      eosTokenIds: [2],
      raw,
    });
    expect(p.config.raw).toBe(raw);
    expect(p.layers).toEqual([
      { sourceIndex: 0, numHeads: 32, numKvHeads: 4, headDim: 64, intermediateSize: 5632 },
      { sourceIndex: 1, numHeads: 32, numKvHeads: 4, headDim: 64, intermediateSize: 5632 },
    ]);
  });

  it('applies the defaults for optional keys', () => {
    const p = parseHfConfig(llama(), null);
    expect(p.config.maxPositionEmbeddings).toBe(2048);
    expect(p.config.normEps).toBe(1e-6);
    expect(p.config.ropeTheta).toBe(10000);
    expect(p.config.tieWordEmbeddings).toBe(false);
    expect(p.config.hiddenAct).toBe('silu');
    expect(p.config.bosTokenId).toBeNull();
    expect(p.config.eosTokenIds).toEqual([]);
  });

  it('treats null optional keys like missing ones', () => {
    const p = parseHfConfig(llama({ rope_theta: null, rms_norm_eps: null, max_position_embeddings: null, num_key_value_heads: null, head_dim: null }), null);
    expect(p.config.ropeTheta).toBe(10000);
    expect(p.config.normEps).toBe(1e-6);
    expect(p.config.maxPositionEmbeddings).toBe(2048);
    expect(p.layers[0]).toMatchObject({ numHeads: 32, numKvHeads: 32, headDim: 64 });
  });

  it('num_key_value_heads defaults to num_attention_heads (plain multi-head attention)', () => {
    const p = parseHfConfig(without(llama(), 'num_key_value_heads'), null);
    expect(p.layers.map((l) => l.numKvHeads)).toEqual([32, 32]);
  });

  it('tie_word_embeddings only when exactly true; hidden_act silu or absent loads', () => {
    expect(parseHfConfig(llama({ tie_word_embeddings: false }), null).config.tieWordEmbeddings).toBe(false);
    expect(parseHfConfig(llama({ tie_word_embeddings: 'true' }), null).config.tieWordEmbeddings).toBe(false);
    expect(parseHfConfig(llama({ hidden_act: 'silu' }), null).config.hiddenAct).toBe('silu');
    expect(parseHfConfig(without(llama(), 'hidden_act'), null).config.hiddenAct).toBe('silu');
  });

  it('an explicit head_dim wins and skips the divisibility check (heads * head_dim need not equal hidden_size)', () => {
    // 1000 is not divisible by 24: without head_dim this config would be rejected.
    const p = parseHfConfig(llama({ hidden_size: 1000, num_attention_heads: 24, num_key_value_heads: 8, head_dim: 64 }), null);
    expect(p.layers[0]).toMatchObject({ numHeads: 24, numKvHeads: 8, headDim: 64 });
    expect(p.config.hiddenSize).toBe(1000);
  });

  it('an explicit head_dim that equals the derived one is kept', () => {
    expect(parseHfConfig(llama({ head_dim: 64 }), null).layers[0].headDim).toBe(64);
  });

  it('zero layers is refused (it used to load a model with no blocks)', () => {
    expect(() => parseHfConfig(llama({ num_hidden_layers: 0 }), null)).toThrow(/'num_hidden_layers' is 0; it must be a whole number from 1/);
  });

  it('mistral and smollm map to the llama family; only qwen2 or attention_bias: true has q/k/v biases', () => {
    for (const modelType of ['mistral', 'smollm']) {
      const p = parseHfConfig(llama({ model_type: modelType }), null);
      expect(p.family).toBe('llama');
      expect(p.config.modelType).toBe(modelType);
      expect(p.attentionBias).toBe(false);
    }
    const qwen = parseHfConfig(llama({ model_type: 'qwen2', attention_bias: false }), null);
    expect(qwen.family).toBe('llama');
    expect(qwen.config.modelType).toBe('qwen2');
    expect(qwen.attentionBias).toBe(true);
    expect(parseHfConfig(llama({ attention_bias: true }), null).attentionBias).toBe(true);
    expect(parseHfConfig(llama({ attention_bias: 'true' }), null).attentionBias).toBe(false);
    expect(parseHfConfig(llama({ attention_bias: false }), null).attentionBias).toBe(false);
  });
});

describe('parseHfConfig: token ids', () => {
  it('eos_token_id may be a number or a list; non-numbers in the list are dropped', () => {
    expect(parseHfConfig(llama({ eos_token_id: 2 }), null).config.eosTokenIds).toEqual([2]);
    expect(parseHfConfig(llama({ eos_token_id: [128001, 128008, 128009] }), null).config.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(parseHfConfig(llama({ eos_token_id: [5, 'x', null, 6] }), null).config.eosTokenIds).toEqual([5, 6]);
    expect(parseHfConfig(llama({ eos_token_id: '2' }), null).config.eosTokenIds).toEqual([]);
    expect(parseHfConfig(llama({ eos_token_id: 0 }), null).config.eosTokenIds).toEqual([0]);
  });

  it('generation_config.json eos_token_id overrides config.json; absent there falls back to config.json', () => {
    expect(parseHfConfig(llama({ eos_token_id: 2 }), { eos_token_id: [2, 32000] }).config.eosTokenIds).toEqual([2, 32000]);
    expect(parseHfConfig(llama({ eos_token_id: 2 }), { eos_token_id: null }).config.eosTokenIds).toEqual([2]);
    expect(parseHfConfig(llama({ eos_token_id: 2 }), { do_sample: true }).config.eosTokenIds).toEqual([2]);
    expect(parseHfConfig(llama(), { eos_token_id: 7 }).config.eosTokenIds).toEqual([7]);
  });

  it('bos_token_id only when a number (0 included)', () => {
    expect(parseHfConfig(llama({ bos_token_id: 0 }), null).config.bosTokenId).toBe(0);
    expect(parseHfConfig(llama({ bos_token_id: '1' }), null).config.bosTokenId).toBeNull();
    expect(parseHfConfig(llama({ bos_token_id: null }), null).config.bosTokenId).toBeNull();
    expect(parseHfConfig(gpt2({ bos_token_id: 50256 }), null).config.bosTokenId).toBe(50256);
  });
});

describe('parseHfConfig: gpt2', () => {
  it('reads the GPT-2 key names and applies GPT-2 defaults', () => {
    const raw = gpt2({ eos_token_id: 50256 });
    const p = parseHfConfig(raw, null);
    expect(p.family).toBe('gpt2');
    expect(p.attentionBias).toBe(true);
    expect(p.config).toEqual({
      modelType: 'gpt2',
      vocabSize: 50257,
      hiddenSize: 768,
      maxPositionEmbeddings: 1024,
      normEps: 1e-5,
      ropeTheta: 0,
      tieWordEmbeddings: true,
      hiddenAct: 'gelu_new',
      bosTokenId: null,
      eosTokenIds: [50256],
      raw,
    });
    // n_inner defaults to 4 * n_embd; kv heads = heads; head_dim = n_embd / n_head.
    expect(p.layers).toEqual([
      { sourceIndex: 0, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072 },
      { sourceIndex: 1, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072 },
    ]);
  });

  it('reads explicit n_inner, n_positions, layer_norm_epsilon, activation_function, tie_word_embeddings', () => {
    const p = parseHfConfig(gpt2({ n_inner: 1000, n_positions: 2048, layer_norm_epsilon: 1e-6, activation_function: 'gelu_pytorch_tanh', tie_word_embeddings: false }), null);
    expect(p.config).toMatchObject({ maxPositionEmbeddings: 2048, normEps: 1e-6, hiddenAct: 'gelu_pytorch_tanh', tieWordEmbeddings: false, ropeTheta: 0 });
    expect(p.layers[0].intermediateSize).toBe(1000);
    expect(parseHfConfig(gpt2({ n_inner: null }), null).layers[0].intermediateSize).toBe(3072);
  });

  it('tie_word_embeddings is on unless exactly false; activation_function absent means gelu_new', () => {
    expect(parseHfConfig(gpt2({ tie_word_embeddings: true }), null).config.tieWordEmbeddings).toBe(true);
    expect(parseHfConfig(gpt2({ tie_word_embeddings: 'false' }), null).config.tieWordEmbeddings).toBe(true);
    expect(parseHfConfig(without(gpt2(), 'activation_function'), null).config.hiddenAct).toBe('gelu_new');
  });

  it('rejects n_embd not divisible by n_head', () => {
    const e = labError(() => parseHfConfig(gpt2({ n_head: 10 }), null));
    expect(e.code).toBe('corrupt');
    expect(e.message).toBe('config.json: hidden size 768 is not divisible by 10 attention heads');
    expect(e.details).toEqual({ path: 'config.json' });
  });

  it('requires n_embd, n_head, n_layer, vocab_size', () => {
    for (const key of ['n_embd', 'n_head', 'n_layer', 'vocab_size']) {
      const e = labError(() => parseHfConfig(without(gpt2(), key), null));
      expect(e.code).toBe('corrupt');
      expect(e.message).toBe(`config.json: '${key}' is missing`);
      expect(e.details).toEqual({ path: 'config.json', key });
    }
  });
});

describe('parseHfConfig: errors', () => {
  it('each required llama key missing → corrupt naming config.json and the key', () => {
    for (const key of ['hidden_size', 'num_attention_heads', 'intermediate_size', 'num_hidden_layers', 'vocab_size']) {
      const e = labError(() => parseHfConfig(without(llama(), key), null));
      expect(e.code).toBe('corrupt');
      expect(e.message).toBe(`config.json: '${key}' is missing`);
      expect(e.details).toEqual({ path: 'config.json', key });
    }
  });

  it('a required key that is null is "not a number (null)"', () => {
    const e = labError(() => parseHfConfig(llama({ vocab_size: null }), null));
    expect(e.code).toBe('corrupt');
    expect(e.message).toBe("config.json: 'vocab_size' is not a number (null)");
  });

  it('a non-numeric value is rejected with its JSON, also for keys that have defaults', () => {
    const e1 = labError(() => parseHfConfig(llama({ hidden_size: '2048' }), null));
    expect(e1.code).toBe('corrupt');
    expect(e1.message).toBe(`config.json: 'hidden_size' is not a number ("2048")`);
    expect(e1.details).toEqual({ path: 'config.json', key: 'hidden_size' });

    const e2 = labError(() => parseHfConfig(llama({ rope_theta: '10000' }), null));
    expect(e2.message).toBe(`config.json: 'rope_theta' is not a number ("10000")`);
    expect(e2.details).toEqual({ path: 'config.json', key: 'rope_theta' });

    const e3 = labError(() => parseHfConfig(llama({ rms_norm_eps: [1e-5] }), null));
    expect(e3.message).toBe("config.json: 'rms_norm_eps' is not a number ([0.00001])");

    const e4 = labError(() => parseHfConfig(gpt2({ n_positions: false }), null));
    expect(e4.message).toBe("config.json: 'n_positions' is not a number (false)");
  });

  it('non-finite numbers are rejected', () => {
    const e1 = labError(() => parseHfConfig(llama({ rope_theta: Infinity }), null));
    expect(e1.code).toBe('corrupt');
    expect(e1.message).toBe("config.json: 'rope_theta' is not a number (null)");
    const e2 = labError(() => parseHfConfig(llama({ hidden_size: Number.NaN }), null));
    expect(e2.message).toBe("config.json: 'hidden_size' is not a number (null)");
  });

  it('num_attention_heads not a multiple of num_key_value_heads', () => {
    const e = labError(() => parseHfConfig(llama({ num_key_value_heads: 5 }), null));
    expect(e.code).toBe('corrupt');
    expect(e.message).toBe('config.json: num_attention_heads 32 is not a multiple of num_key_value_heads 5');
    expect(e.details).toEqual({ path: 'config.json' });
  });

  it('hidden_size not divisible by num_attention_heads (without head_dim)', () => {
    const e = labError(() => parseHfConfig(llama({ num_attention_heads: 3, num_key_value_heads: 3 }), null));
    expect(e.code).toBe('corrupt');
    expect(e.message).toBe('config.json: hidden size 2048 is not divisible by 3 attention heads');
    expect(e.details).toEqual({ path: 'config.json' });
    const eNull = labError(() => parseHfConfig(llama({ num_attention_heads: 3, num_key_value_heads: 3, head_dim: null }), null));
    expect(eNull.message).toBe('config.json: hidden size 2048 is not divisible by 3 attention heads');
  });

  it('zero or negative attention heads are rejected', () => {
    const e0 = labError(() => parseHfConfig(llama({ num_attention_heads: 0, num_key_value_heads: 1 }), null));
    expect(e0.code).toBe('corrupt');
    expect(e0.message).toBe("config.json: 'num_attention_heads' is 0; it must be a whole number from 1 to 4096");
    const eNeg = labError(() => parseHfConfig(gpt2({ n_head: -4 }), null));
    expect(eNeg.code).toBe('corrupt');
    expect(eNeg.message).toBe("config.json: 'n_head' is -4; it must be a whole number from 1 to 4096");
  });

  it('unsupported model_type names it and the architectures', () => {
    const e = labError(() => parseHfConfig({ model_type: 'bert', architectures: ['BertModel', 'BertForMaskedLM'] }, null));
    expect(e.code).toBe('unsupported-architecture');
    expect(e.message).toBe("config.json: model_type 'bert' (BertModel, BertForMaskedLM) is not supported; supported: llama, mistral, qwen2, gpt2");
    expect(e.details).toEqual({ path: 'config.json', modelType: 'bert' });
  });

  it("a model_type naming an Object.prototype member ('toString', '__proto__') is unsupported, not llama", () => {
    for (const modelType of ['toString', '__proto__', 'constructor']) {
      const e = labError(() => parseHfConfig(llama({ model_type: modelType }), null));
      expect(e.code).toBe('unsupported-architecture');
      expect(e.message).toBe(`config.json: model_type '${modelType}' (LlamaForCausalLM) is not supported; supported: llama, mistral, qwen2, gpt2`);
    }
  });

  it('unsupported model_type without architectures', () => {
    const e = labError(() => parseHfConfig({ model_type: 'phi3', architectures: 'Phi3ForCausalLM' }, null));
    expect(e.code).toBe('unsupported-architecture');
    expect(e.message).toBe("config.json: model_type 'phi3' is not supported; supported: llama, mistral, qwen2, gpt2");
  });

  it('missing or non-string model_type → "no model_type"', () => {
    const e1 = labError(() => parseHfConfig({ architectures: ['LlamaForCausalLM'], hidden_size: 2048 }, null));
    expect(e1.code).toBe('unsupported-architecture');
    expect(e1.message).toBe('config.json: no model_type (LlamaForCausalLM) is not supported; supported: llama, mistral, qwen2, gpt2');
    expect(e1.details).toEqual({ path: 'config.json', modelType: '' });
    const e2 = labError(() => parseHfConfig({ model_type: 42 }, null));
    expect(e2.message).toBe('config.json: no model_type is not supported; supported: llama, mistral, qwen2, gpt2');
    expect(e2.details).toEqual({ path: 'config.json', modelType: '' });
  });

  it('model_type lookup is case-sensitive', () => {
    expect(labError(() => parseHfConfig(llama({ model_type: 'Llama' }), null)).code).toBe('unsupported-architecture');
  });

  it('errors name the path the caller passes', () => {
    const e1 = labError(() => parseHfConfig({ model_type: 'bert' }, null, 'models/x/config.json'));
    expect(e1.message).toBe("models/x/config.json: model_type 'bert' is not supported; supported: llama, mistral, qwen2, gpt2");
    expect(e1.details).toEqual({ path: 'models/x/config.json', modelType: 'bert' });
    const e2 = labError(() => parseHfConfig(without(llama(), 'vocab_size'), null, 'm/config.json'));
    expect(e2.message).toBe("m/config.json: 'vocab_size' is missing");
    expect(e2.details).toEqual({ path: 'm/config.json', key: 'vocab_size' });
    const e3 = labError(() => parseHfConfig(llama({ num_key_value_heads: 5 }), null, 'm/config.json'));
    expect(e3.message).toBe('m/config.json: num_attention_heads 32 is not a multiple of num_key_value_heads 5');
    expect(e3.details).toEqual({ path: 'm/config.json' });
    const e4 = labError(() => parseHfConfig(gpt2({ n_head: 10 }), null, 'm/config.json'));
    expect(e4.details).toEqual({ path: 'm/config.json' });
  });
});

describe('config numbers are checked before use (issue 14)', () => {
  const parse = (raw: Record<string, unknown>) => parseHfConfig(raw, null, 'config.json');
  it.each([
    ['num_hidden_layers 1e9 (would allocate until the heap runs out)', { num_hidden_layers: 1e9 }, /'num_hidden_layers' is 1000000000; it must be a whole number from 1 to 1024/],
    ['num_hidden_layers 2.5', { num_hidden_layers: 2.5 }, /'num_hidden_layers' is 2\.5/],
    ['num_hidden_layers 0', { num_hidden_layers: 0 }, /'num_hidden_layers' is 0/],
    ['num_hidden_layers -3', { num_hidden_layers: -3 }, /'num_hidden_layers' is -3/],
    ['vocab_size -5 (was blamed on the tokenizer)', { vocab_size: -5 }, /'vocab_size' is -5/],
    ['max_position_embeddings 0 (was "window length must be ≥ 2")', { max_position_embeddings: 0 }, /'max_position_embeddings' is 0; it must be a whole number from 2/],
    ['rms_norm_eps -1 (NaN logits)', { rms_norm_eps: -1 }, /'rms_norm_eps' is -1; it must be positive/],
    ['rope_theta 0 (NaN logits)', { rope_theta: 0 }, /'rope_theta' is 0; it must be positive/],
    ['num_key_value_heads above the heads', { num_key_value_heads: 64 }, /'num_key_value_heads' is 64; it must be a whole number from 1 to 32/],
    ['rms_norm_eps 2^53 (passed "positive")', { rms_norm_eps: 2 ** 53 }, /'rms_norm_eps' is 9007199254740992; it must be at most 1/],
    ['bos_token_id 2.5', { bos_token_id: 2.5 }, /'bos_token_id' 2\.5 is not a token id \(a whole number from 0 to 4194303\)/],
    ['eos_token_id past the vocabulary', { eos_token_id: [2, 2 ** 53 + 2] }, /'eos_token_id' 9007199254740994 is not a token id/],
  ])('%s is corrupt, naming the field', (_name, extra, message) => {
    expect(() => parse(llama(extra))).toThrow(message);
    try {
      parse(llama(extra));
    } catch (error) {
      expect(error).toBeInstanceOf(LabError);
      expect((error as LabError).code).toBe('corrupt');
      expect((error as LabError).message.startsWith('config.json: ')).toBe(true);
    }
  });

  it('GPT-2 counts too; a null n_inner still defaults to 4 × n_embd', () => {
    expect(() => parse(gpt2({ n_layer: 1.5 }))).toThrow(/'n_layer' is 1\.5/);
    expect(parse(gpt2({ n_inner: null })).layers[0].intermediateSize).toBe(4 * 768);
  });
});

describe('config fields the graphs do not build are refused by name (issue 14)', () => {
  const parse = (raw: Record<string, unknown>) => parseHfConfig(raw, null, 'config.json');
  it.each([
    ['hidden_act gelu', llama({ hidden_act: 'gelu' }), /config\.json: hidden_act "gelu" is not implemented \(the lab builds SiLU/],
    ['hidden_act that is not a string', llama({ hidden_act: 7 }), /hidden_act 7 is not implemented/],
    ['mlp_bias', llama({ mlp_bias: true }), /mlp_bias true is not implemented/],
    ['qwen2 use_sliding_window', llama({ model_type: 'qwen2', use_sliding_window: true, sliding_window: 4096 }), /use_sliding_window true is not implemented/],
    ['mistral sliding_window shorter than the context', llama({ model_type: 'mistral', max_position_embeddings: 32768, sliding_window: 4096 }), /sliding_window 4096 is not implemented \(attention is full-context; windows longer than 4096/],
    ['partial_rotary_factor', llama({ partial_rotary_factor: 0.5 }), /partial_rotary_factor 0\.5 is not implemented/],
    ['GPT-2 exact gelu', gpt2({ activation_function: 'gelu' }), /activation_function "gelu" is not implemented \(the lab builds gelu_new only\)/],
    ['GPT-2 scale_attn_by_inverse_layer_idx', gpt2({ scale_attn_by_inverse_layer_idx: true }), /scale_attn_by_inverse_layer_idx true/],
  ])('%s → unsupported-architecture naming the field', (_name, raw, message) => {
    const error = labError(() => parse(raw));
    expect(error.code).toBe('unsupported-architecture');
    expect(error.message).toMatch(message);
  });

  it('inactive settings load: qwen2 with use_sliding_window false, a window as long as the context, rotary factor 1', () => {
    expect(parse(llama({ model_type: 'qwen2', use_sliding_window: false, sliding_window: 4096 })).family).toBe('llama');
    expect(parse(llama({ model_type: 'mistral', max_position_embeddings: 4096, sliding_window: 4096 })).family).toBe('llama');
    expect(parse(llama({ sliding_window: null, partial_rotary_factor: 1, mlp_bias: false })).family).toBe('llama');
  });
});
