// GPT-2 graph: learned positions, LayerNorm, multi-head attention with biases, gelu_new (tanh
// approximation), tied lm_head. Pure: imports only graph/ and the ModelSpec types.

import { getWeight, gpt2Names as N, type ModelSpec, type WeightTensor } from '../model/model-spec';
import type { GraphBuilder } from './graph-builder';
import { attention, declareInputs, finishGraph, lazyWeight, linear, residualAdd, stackRows, transposed, type DecoderContext, type GraphOptions } from './graph-parts';
import type { OnnxModel } from './onnx-writer';

function layerNorm(ctx: DecoderContext, x: string, wName: string, bName: string): string {
  const { b, spec } = ctx;
  const [w, bias] = [getWeight(spec, wName), getWeight(spec, bName)];
  return layerNormOp(b, x, b.floatInit(wName, w.shape, () => w.data), b.floatInit(bName, bias.shape, () => bias.data), spec.config.normEps);
}

/** LayerNormalization over the last axis with weight/bias values (initializers or graph inputs). */
export function layerNormOp(b: GraphBuilder, x: string, weight: string, bias: string, eps: number): string {
  return b.op('LayerNormalization', [x, weight, bias], { axis: -1, epsilon: { float: eps } });
}

function geluNew(ctx: DecoderContext, x: string): string {
  return geluNewOp(ctx.b, x);
}

/** gelu_new(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as x·(√(2/π) + c·x²) inside tanh. */
export function geluNewOp(b: GraphBuilder, x: string): string {
  const k = Math.sqrt(2 / Math.PI);
  const inner = b.op('Mul', [x, b.op('Add', [b.op('Mul', [b.op('Mul', [x, x]), b.scalar(0.044715 * k)]), b.scalar(k)])]);
  const t = b.op('Add', [b.op('Tanh', [inner]), b.scalar(1)]);
  return b.op('Mul', [b.op('Mul', [x, t]), b.scalar(0.5)]);
}

const vec = (w: WeightTensor, s = 1): WeightTensor => ({ shape: [w.shape[0], 1], data: w.data.map((v) => v * s) });

/** The GPT-2 graph as IR; its weight initializers are lazy (computed when encoded). */
export function buildGpt2Graph(spec: ModelSpec, options: GraphOptions): OnnxModel {
  const ctx = declareInputs(spec, options, `prunelab-gpt2-${options.purpose}`);
  const { b, opts } = ctx;
  const cfg = spec.config;
  const embed = getWeight(spec, N.embed);
  const wpe = getWeight(spec, N.positions);
  const embedName = b.floatInit(N.embed, embed.shape, () => embed.data);
  const wpeName = b.floatInit(N.positions, wpe.shape, () => wpe.data);
  const positions = ctx.positionIds
    ? b.op('Gather', [wpeName, ctx.positionIds], { axis: 0 })
    : b.op('Slice', [wpeName, b.int64([0]), ctx.seqLen, b.int64([0])]);
  let x = b.op('Add', [b.op('Gather', [embedName, ctx.inputIds], { axis: 0 }), positions]);

  spec.layers.forEach((layer, i) => {
    b.setScope(`/transformer/h.${i}`);
    const { numHeads: H, numKvHeads: KV, headDim: hd } = layer;
    const scale = 1 / Math.sqrt(hd);
    const h1 = layerNorm(ctx, x, N.ln1Weight(i), N.ln1Bias(i));
    const [wq, wk, wv] = [N.q(i), N.k(i), N.v(i)].map((n) => getWeight(spec, n));
    const [bq, bk, bv] = [N.qBias(i), N.kBias(i), N.vBias(i)].map((n) => getWeight(spec, n));
    const heads = (t: string, n: number) => b.op('Reshape', [t, b.int64([0, 0, n, hd])]);
    let q: string, k: string, v: string;
    if (opts.fold) {
      const w = lazyWeight([H * hd + 2 * KV * hd, wq.shape[1]], () => stackRows([{ shape: wq.shape, data: wq.data.map((x) => x * scale) }, wk, wv]).data);
      const bias = lazyWeight([H * hd + 2 * KV * hd], () => stackRows([vec(bq, scale), vec(bk), vec(bv)]).data);
      const qkv = linear(b, h1, w, `transformer.h.${i}.attn.qkv_proj`, bias);
      [q, k, v] = b.opN('Split', [qkv, b.int64([H * hd, KV * hd, KV * hd])], 3, { axis: -1 });
      [q, k, v] = [heads(q, H), heads(k, KV), heads(v, KV)];
    } else {
      q = heads(b.op('Mul', [linear(b, h1, wq, `transformer.h.${i}.attn.q_proj`, bq), b.scalar(scale)]), H);
      k = heads(linear(b, h1, wk, `transformer.h.${i}.attn.k_proj`, bk), KV);
      v = heads(linear(b, h1, wv, `transformer.h.${i}.attn.v_proj`, bv), KV);
    }
    const attn = attention(ctx, i, q, k, v);
    x = residualAdd(ctx, i, x, linear(b, attn, getWeight(spec, N.o(i)), `transformer.h.${i}.attn.c_proj`, getWeight(spec, N.oBias(i))));
    const h2 = layerNorm(ctx, x, N.ln2Weight(i), N.ln2Bias(i));
    const fc = linear(b, h2, getWeight(spec, N.fc(i)), `transformer.h.${i}.mlp.c_fc`, getWeight(spec, N.fcBias(i)));
    const proj = linear(b, geluNew(ctx, fc), getWeight(spec, N.proj(i)), `transformer.h.${i}.mlp.c_proj`, getWeight(spec, N.projBias(i)));
    x = residualAdd(ctx, i, x, proj);
  });

  b.setScope('/transformer/ln_f');
  const normed = layerNorm(ctx, x, N.finalNormWeight, N.finalNormBias);
  const head = spec.weights.get('lm_head.weight');
  if (cfg.tieWordEmbeddings || !head) return finishGraph(ctx, normed, embedName, true);
  return finishGraph(ctx, normed, b.floatInit('lm_head.weight_T', [head.shape[1], head.shape[0]], () => transposed(head)), false);
}
