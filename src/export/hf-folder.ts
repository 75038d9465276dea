// A ModelSpec → a Hugging Face folder (config.json, generation_config.json, tokenizer files,
// model.safetensors fp32) that our loader and transformers read back. Pure: Blob is the only
// platform API used (browsers and Node ≥ 18); no runtime, Node or DOM-specific imports.

import { LabError } from '../errors';
import { transpose2d } from '../formats/dtype';
import { gpt2Names, type ModelSpec } from '../model/model-spec';
import { exportConfig } from './export-config';
import type { SafetensorsEntry } from './safetensors-writer';
import { writeSafetensorsFiles } from './safetensors-shards';

export { exportConfig };

export interface HfFolderInputs {
  spec: ModelSpec;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  generationConfig: Record<string, unknown> | null;
  /** Shard the weights past this many tensor bytes (default 2e9, see safetensors-shards.ts). */
  maxShardBytes?: number;
}

export interface HfFolderFile {
  path: string;
  blob: Blob;
}

const json = (value: unknown) => new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });

export function exportHfFolder(inputs: HfFolderInputs): HfFolderFile[] {
  const { spec } = inputs;
  const files: HfFolderFile[] = [{ path: 'config.json', blob: json(exportConfig(spec, inputs.generationConfig)) }];
  if (inputs.generationConfig) files.push({ path: 'generation_config.json', blob: json(inputs.generationConfig) });
  files.push({ path: 'tokenizer.json', blob: json(inputs.tokenizerJson) });
  files.push({ path: 'tokenizer_config.json', blob: json(inputs.tokenizerConfig) });
  const entries = spec.family === 'gpt2' ? gpt2Entries(spec) : llamaEntries(spec);
  files.push(...writeSafetensorsFiles(entries, { maxShardBytes: inputs.maxShardBytes, metadata: { format: 'pt' } }));
  return files;
}

/**
 * The dropped config.json carried through, with the layer count of `spec` (num_hidden_layers, or
 * n_layer for GPT-2), tie_word_embeddings as the weights are, and torch_dtype float32 (what is written).
 * Per-layer sizes must still be the config's: block and row-wise methods keep them.
 */
/** Llama family: canonical names are the HF names; tied models have no lm_head.weight. */
function llamaEntries(spec: ModelSpec): SafetensorsEntry[] {
  return [...spec.weights.keys()].sort().map((name) => {
    const w = spec.weights.get(name)!;
    return { name, shape: w.shape, data: w.data };
  });
}

const GPT2_BLOCK = /^transformer\.h\.(\d+)\.attn\.(q_proj|k_proj|v_proj)\.(weight|bias)$/;
const GPT2_CONV1D = /^transformer\.h\.\d+\.(attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;

/** GPT-2: Conv1D weights back to [in, out]; q/k/v fused into c_attn ([h, 3h] weight, [3h] bias). */
function gpt2Entries(spec: ModelSpec): SafetensorsEntry[] {
  const entries: SafetensorsEntry[] = [];
  for (const [name, w] of spec.weights) {
    if (GPT2_BLOCK.test(name)) continue;
    if (GPT2_CONV1D.test(name)) {
      const [out, inDim] = w.shape;
      entries.push({ name, shape: [inDim, out], data: transpose2d(w.data, out, inDim) });
    } else {
      entries.push({ name, shape: w.shape, data: w.data });
    }
  }
  const n = gpt2Names;
  for (let i = 0; i < spec.layers.length; i++) {
    const parts = [n.q(i), n.k(i), n.v(i)].map((name) => need(spec, name));
    const inDim = parts[0].shape[1];
    const outs = parts.map((p) => p.shape[0]);
    const fusedOut = outs.reduce((a, b) => a + b, 0);
    // [q; k; v] rows are [out_total, in] in nn.Linear layout; Conv1D stores the transpose.
    const stacked = new Float32Array(fusedOut * inDim);
    let row = 0;
    for (const p of parts) {
      stacked.set(p.data, row * inDim);
      row += p.shape[0];
    }
    entries.push({ name: `transformer.h.${i}.attn.c_attn.weight`, shape: [inDim, fusedOut], data: transpose2d(stacked, fusedOut, inDim) });
    const bias = new Float32Array(fusedOut);
    let at = 0;
    [n.qBias(i), n.kBias(i), n.vBias(i)].forEach((name, k) => {
      const b = spec.weights.get(name);
      if (b) bias.set(b.data, at);
      at += outs[k];
    });
    entries.push({ name: `transformer.h.${i}.attn.c_attn.bias`, shape: [fusedOut], data: bias });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function need(spec: ModelSpec, name: string) {
  const w = spec.weights.get(name);
  if (!w) throw new LabError('internal', `export: the model has no weight named ${name}`);
  return w;
}
