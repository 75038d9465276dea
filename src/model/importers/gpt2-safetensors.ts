// GPT-2 from Hugging Face safetensors: Conv1D weights are [in, out] → transposed to [out, in];
// c_attn is split into q/k/v_proj (gpt2Names). Accepts names with or without the 'transformer.' prefix.

import { transpose2d } from '../../formats/dtype';
import { safetensorsDtype } from '../../formats/safetensors';
import { gpt2Names, type WeightTensor } from '../model-spec';
import { checkAllWeights, expectedShapes } from './expected-shapes';
import { readChecked } from './safetensors-tensors';
import type { Importer } from './types';

function aliases(canonical: string): string[] {
  return [canonical, canonical.replace(/^transformer\./, '')];
}

export const gpt2SafetensorsImporter: Importer = {
  layout: 'safetensors',
  description: 'GPT-2 Hugging Face safetensors',
  accepts: (inputs) => inputs.parsed.family === 'gpt2' && inputs.safetensors.length > 0,
  async import(inputs) {
    const { parsed, safetensors: files } = inputs;
    const h = parsed.config.hiddenSize;
    const tied = parsed.config.tieWordEmbeddings;
    const n = gpt2Names;
    const weights = new Map<string, WeightTensor>();
    const plain = async (name: string, shape: number[]) => weights.set(name, await readChecked(files, aliases(name), shape));
    /** Conv1D [in, out] in the file → [out, in]. */
    const conv = async (name: string, inDim: number, outDim: number) => {
      const w = await readChecked(files, aliases(name), [inDim, outDim]);
      weights.set(name, { shape: [outDim, inDim], data: transpose2d(w.data, inDim, outDim) });
    };
    await plain(n.embed, [parsed.config.vocabSize, h]);
    await plain(n.positions, [parsed.config.maxPositionEmbeddings, h]);
    await plain(n.finalNormWeight, [h]);
    await plain(n.finalNormBias, [h]);
    if (!tied) await plain('lm_head.weight', [parsed.config.vocabSize, h]);
    for (let i = 0; i < parsed.layers.length; i++) {
      const inner = parsed.layers[i].intermediateSize;
      for (const name of [n.ln1Weight(i), n.ln1Bias(i), n.ln2Weight(i), n.ln2Bias(i), n.oBias(i), n.projBias(i)]) {
        await plain(name, [h]);
      }
      await plain(n.fcBias(i), [inner]);
      const attn = `transformer.h.${i}.attn.c_attn`;
      const qkv = await readChecked(files, aliases(`${attn}.weight`), [h, 3 * h]);
      const qkvT = transpose2d(qkv.data, h, 3 * h); // [3h, h]: rows 0..h-1 are q, then k, then v
      const qkvBias = await readChecked(files, aliases(`${attn}.bias`), [3 * h]);
      [n.q(i), n.k(i), n.v(i)].forEach((name, part) => {
        weights.set(name, { shape: [h, h], data: qkvT.slice(part * h * h, (part + 1) * h * h) });
      });
      [n.qBias(i), n.kBias(i), n.vBias(i)].forEach((name, part) => {
        weights.set(name, { shape: [h], data: qkvBias.data.slice(part * h, (part + 1) * h) });
      });
      await conv(n.o(i), h, h);
      await conv(n.fc(i), h, inner);
      await conv(n.proj(i), inner, h);
      inputs.onProgress((i + 1) / parsed.layers.length, `block ${i}`);
    }
    checkAllWeights(files[0].path, weights, expectedShapes(parsed, tied));
    return { weights, weightsDtype: safetensorsDtype(files[0]), tieWordEmbeddings: tied };
  },
};
