// Llama family from the onnxruntime-genai model-builder layout (also transformers.js v4 exports):
// initializers model.layers.{i}.attn.q_proj.MatMul.weight [in, out] or MatMulNBits 4-bit; norms are
// inputs of (Skip)SimplifiedLayerNormalization nodes; the final norm sits at /model/layers.{L}/final_norm_layernorm.

import { importLlamaOnnx, isGenaiLayout } from './llama-onnx-common';
import type { Importer } from './types';

export const llamaOnnxGenaiImporter: Importer = {
  layout: 'onnx-genai',
  description: 'Llama-family onnxruntime-genai builder layout (fp32/fp16 or MatMulNBits q4)',
  accepts: (inputs) => inputs.parsed.family === 'llama' && inputs.onnx !== null && isGenaiLayout(inputs),
  import: (inputs) =>
    importLlamaOnnx(inputs, {
      embed: '/model/embed_tokens',
      attn: (i) => `/model/layers.${i}/attn`,
      mlp: (i) => `/model/layers.${i}/mlp`,
      inputNorm: (i) => `/model/layers.${i}/input_layernorm`,
      postAttnNorm: (i) => `/model/layers.${i}/post_attention_layernorm`,
      finalNorm: (numLayers) => `/model/layers.${numLayers}/final_norm_layernorm`,
      lmHead: '/lm_head',
    }),
};
