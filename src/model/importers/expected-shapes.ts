// Shapes config.json implies for every canonical weight, and the cross-check against what was read
// (mismatch → 'corrupt' naming the tensor and both shapes). Pure module.

import { LabError } from '../../errors';
import { gpt2Names, llamaNames, type WeightTensor } from '../model-spec';
import type { ParsedConfig } from './hf-config';

export function expectedShapes(parsed: ParsedConfig, tied: boolean): Map<string, number[]> {
  const { config, layers } = parsed;
  const h = config.hiddenSize;
  const out = new Map<string, number[]>();
  if (parsed.family === 'llama') {
    const n = llamaNames;
    out.set(n.embed, [config.vocabSize, h]);
    out.set(n.finalNorm, [h]);
    if (!tied) out.set(n.lmHead, [config.vocabSize, h]);
    layers.forEach((l, i) => {
      const q = l.numHeads * l.headDim;
      const kv = l.numKvHeads * l.headDim;
      out.set(n.inputNorm(i), [h]);
      out.set(n.postAttnNorm(i), [h]);
      out.set(n.q(i), [q, h]);
      out.set(n.k(i), [kv, h]);
      out.set(n.v(i), [kv, h]);
      out.set(n.o(i), [h, q]);
      if (parsed.attentionBias) {
        out.set(n.qBias(i), [q]);
        out.set(n.kBias(i), [kv]);
        out.set(n.vBias(i), [kv]);
      }
      out.set(n.gate(i), [l.intermediateSize, h]);
      out.set(n.up(i), [l.intermediateSize, h]);
      out.set(n.down(i), [h, l.intermediateSize]);
    });
    return out;
  }
  const n = gpt2Names;
  out.set(n.embed, [config.vocabSize, h]);
  out.set(n.positions, [config.maxPositionEmbeddings, h]);
  out.set(n.finalNormWeight, [h]);
  out.set(n.finalNormBias, [h]);
  if (!tied) out.set('lm_head.weight', [config.vocabSize, h]);
  layers.forEach((l, i) => {
    for (const name of [n.ln1Weight(i), n.ln1Bias(i), n.ln2Weight(i), n.ln2Bias(i), n.qBias(i), n.kBias(i), n.vBias(i), n.oBias(i), n.projBias(i)]) {
      out.set(name, [h]);
    }
    out.set(n.q(i), [h, h]);
    out.set(n.k(i), [h, h]);
    out.set(n.v(i), [h, h]);
    out.set(n.o(i), [h, h]);
    out.set(n.fc(i), [l.intermediateSize, h]);
    out.set(n.fcBias(i), [l.intermediateSize]);
    out.set(n.proj(i), [h, l.intermediateSize]);
  });
  return out;
}

/** Throws 'corrupt' if a tensor's shape differs from what config.json implies. */
export function checkShape(file: string, tensorName: string, actual: number[], expected: number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new LabError(
      'corrupt',
      `${file}: tensor '${tensorName}' has shape [${actual.join(', ')}] but config.json implies [${expected.join(', ')}]`,
      { path: file, tensor: tensorName, actual, expected },
    );
  }
}

/** Every expected weight present with the expected shape; nothing else kept. */
export function checkAllWeights(file: string, weights: Map<string, WeightTensor>, expected: Map<string, number[]>): void {
  for (const [name, shape] of expected) {
    const w = weights.get(name);
    if (!w) {
      throw new LabError('corrupt', `${file}: has no tensor for '${name}' (config.json implies shape [${shape.join(', ')}])`, { path: file, tensor: name });
    }
    checkShape(file, name, w.shape, shape);
  }
}
