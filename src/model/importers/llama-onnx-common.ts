// Llama-family weights from an ONNX graph, given where each layout puts its nodes. The optimum and
// genai importers differ only in these prefixes (see llama-onnx-optimum.ts / llama-onnx-genai.ts).

import { OnnxDataType } from '../../formats/onnx-types';
import type { SourceDtype } from '../loaded-model';
import { llamaNames, type WeightTensor } from '../model-spec';
import type { ImportInputs, ImportResult } from './types';
import { maxAbsDiff, OnnxWeights } from './onnx-weights';

export interface LlamaOnnxNaming {
  embed: string;
  attn: (i: number) => string;
  mlp: (i: number) => string;
  inputNorm: (i: number) => string;
  postAttnNorm: (i: number) => string;
  finalNorm: (numLayers: number) => string;
  lmHead: string;
}

/** Tied lm_head equal to the embedding within this is treated as tied (exporters store a transposed copy). */
const TIE_TOLERANCE = 1e-6;

export async function importLlamaOnnx(inputs: ImportInputs, naming: LlamaOnnxNaming): Promise<ImportResult> {
  const { parsed } = inputs;
  const g = new OnnxWeights(inputs.onnx!);
  const h = parsed.config.hiddenSize;
  const vocab = parsed.config.vocabSize;
  const n = llamaNames;
  const weights = new Map<string, WeightTensor>();
  const embed = await g.embedding(naming.embed, n.embed, [vocab, h]);
  weights.set(n.embed, embed);
  for (let i = 0; i < parsed.layers.length; i++) {
    const l = parsed.layers[i];
    const q = l.numHeads * l.headDim;
    const kv = l.numKvHeads * l.headDim;
    const attn = naming.attn(i);
    const mlp = naming.mlp(i);
    weights.set(n.inputNorm(i), await g.norm(naming.inputNorm(i), n.inputNorm(i), h));
    weights.set(n.postAttnNorm(i), await g.norm(naming.postAttnNorm(i), n.postAttnNorm(i), h));
    weights.set(n.q(i), await g.linear(`${attn}/q_proj`, h, q));
    weights.set(n.k(i), await g.linear(`${attn}/k_proj`, h, kv));
    weights.set(n.v(i), await g.linear(`${attn}/v_proj`, h, kv));
    weights.set(n.o(i), await g.linear(`${attn}/o_proj`, q, h));
    if (parsed.attentionBias) {
      const biases: [string, string, number][] = [[n.qBias(i), 'q_proj', q], [n.kBias(i), 'k_proj', kv], [n.vBias(i), 'v_proj', kv]];
      for (const [name, proj, dim] of biases) {
        const b = await g.bias(`${attn}/${proj}`, dim);
        weights.set(name, b ?? { shape: [dim], data: new Float32Array(dim) });
      }
    }
    weights.set(n.gate(i), await g.linear(`${mlp}/gate_proj`, h, l.intermediateSize));
    weights.set(n.up(i), await g.linear(`${mlp}/up_proj`, h, l.intermediateSize));
    weights.set(n.down(i), await g.linear(`${mlp}/down_proj`, l.intermediateSize, h));
    inputs.onProgress((i + 1) / (parsed.layers.length + 1), `block ${i}`);
  }
  weights.set(n.finalNorm, await g.norm(naming.finalNorm(parsed.layers.length), n.finalNorm, h));
  // The graph's own lm_head decides tying: a quantized or distinct head must be kept to match its logits.
  let tied = parsed.config.tieWordEmbeddings;
  const hasHead = g.nodesUnder(naming.lmHead).some((x) => x.opType === 'MatMul' || x.opType === 'MatMulNBits');
  if (hasHead) {
    const head = await g.linear(naming.lmHead, h, vocab);
    tied = maxAbsDiff(head.data, embed.data) <= TIE_TOLERANCE;
    if (!tied) weights.set(n.lmHead, head);
  }
  inputs.onProgress(1, 'lm_head');
  const embedInit = g.initializer(g.nodesUnder(naming.embed)[0]?.inputs[0] ?? n.embed);
  const weightsDtype: SourceDtype = g.hasQuantizedLinears() ? 'q4'
    : embedInit?.dataType === OnnxDataType.float16 ? 'float16'
    : embedInit?.dataType === OnnxDataType.bfloat16 ? 'bfloat16' : 'float32';
  return { weights, weightsDtype, tieWordEmbeddings: tied };
}

/** genai graphs use contrib norm/attention ops and '/attn/' node names; optimum exports do not. */
export function isGenaiLayout(inputs: ImportInputs): boolean {
  return inputs.onnx!.model.nodes.some(
    (n) => n.opType === 'SkipSimplifiedLayerNormalization' || n.opType === 'GroupQueryAttention' || /^\/model\/layers\.\d+\/attn\//.test(n.name),
  );
}
