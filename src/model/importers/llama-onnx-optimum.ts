// Llama family from an Optimum / torch.onnx export: linear weights are `onnx::MatMul_*` initializers
// reached through node names like /model/layers.{i}/self_attn/q_proj/MatMul, stored [in, out].

import { importLlamaOnnx, isGenaiLayout } from './llama-onnx-common';
import type { Importer } from './types';

export const llamaOnnxOptimumImporter: Importer = {
  layout: 'onnx-optimum',
  description: 'Llama-family Optimum / torch.onnx export (transformers.js onnx/model.onnx)',
  accepts: (inputs) => inputs.parsed.family === 'llama' && inputs.onnx !== null && !isGenaiLayout(inputs),
  import: (inputs) =>
    importLlamaOnnx(inputs, {
      embed: '/model/embed_tokens',
      attn: (i) => `/model/layers.${i}/self_attn`,
      mlp: (i) => `/model/layers.${i}/mlp`,
      inputNorm: (i) => `/model/layers.${i}/input_layernorm`,
      postAttnNorm: (i) => `/model/layers.${i}/post_attention_layernorm`,
      finalNorm: () => '/model/norm',
      lmHead: '/lm_head',
    }),
};
