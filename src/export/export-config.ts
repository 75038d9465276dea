// config.json for an exported model: the dropped config carried through, with the pruned shape.
// One writer for both folder kinds (Hugging Face safetensors, transformers.js ONNX). Pure.

import { LabError } from '../errors';
import type { LayerSpec, ModelSpec } from '../model/model-spec';
import { parseHfConfig } from '../model/importers/hf-config';

export type ExportTarget = 'safetensors' | 'transformers.js';

const shapeOf = (l: LayerSpec) => `${l.numHeads} heads, ${l.numKvHeads} kv heads, head_dim ${l.headDim}, FFN ${l.intermediateSize}`;

/**
 * config.json for `spec`. A config holds one size for every block, so blocks of different shapes
 * are refused (block removal and unstructured sparsity keep shapes uniform).
 */
export function exportConfig(spec: ModelSpec, generationConfig: Record<string, unknown> | null, target: ExportTarget = 'safetensors'): Record<string, unknown> {
  const prefix = target === 'transformers.js' ? 'ONNX export' : 'export';
  const first = spec.layers[0];
  spec.layers.forEach((l, i) => {
    if (shapeOf(l) !== shapeOf(first))
      throw new LabError(
        'bad-argument',
        `${prefix}: block ${i} has ${shapeOf(l)} but block 0 has ${shapeOf(first)}; a config.json cannot express per-block shapes (block removal and unstructured sparsity keep shapes uniform)`,
        { block: i },
      );
  });
  const raw = spec.config.raw;
  const config: Record<string, unknown> = { ...raw };
  if (spec.family === 'gpt2') {
    const expected = parseHfConfig(raw, generationConfig).layers[0];
    if (first && expected && shapeOf(first) !== shapeOf(expected))
      throw new LabError('bad-argument', `${prefix}: GPT-2 blocks have ${shapeOf(first)} but config.json says ${shapeOf(expected)}; a GPT-2 config cannot express pruned head or FFN sizes`);
    if (Number(raw.n_embd ?? spec.config.hiddenSize) !== spec.config.hiddenSize)
      throw new LabError('bad-argument', `${prefix}: the hidden size is ${spec.config.hiddenSize} but a GPT-2 config derives its head size from n_embd / n_head, so it cannot express a pruned hidden size`);
    config.n_layer = spec.layers.length;
    if ('num_hidden_layers' in raw) config.num_hidden_layers = spec.layers.length;
  } else {
    config.num_hidden_layers = spec.layers.length;
    config.hidden_size = spec.config.hiddenSize; // smaller after hidden-channel pruning (DReSS)
    if ('rms_norm_eps' in raw) config.rms_norm_eps = spec.config.normEps; // scaled with the RMSNorm compensation
    if (first) {
      config.num_attention_heads = first.numHeads;
      config.num_key_value_heads = first.numKvHeads;
      config.intermediate_size = first.intermediateSize;
      if ('head_dim' in raw || first.headDim * first.numHeads !== spec.config.hiddenSize) config.head_dim = first.headDim;
    }
  }
  config.tie_word_embeddings = !spec.weights.has('lm_head.weight');
  config.torch_dtype = 'float32';
  return config;
}
