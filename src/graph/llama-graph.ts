// Llama-family graph (llama, mistral, qwen2 with q/k/v bias, smollm): RMSNorm, RoPE (rotate_half),
// GQA, SwiGLU, tied or untied lm_head. Pure: imports only graph/ and the ModelSpec types.

import { getWeight, llamaNames as N, type ModelSpec, type RopeScaling, type WeightTensor } from '../model/model-spec';
import type { GraphBuilder } from './graph-builder';
import { attention, declareInputs, finishGraph, lazyWeight, linear, residualAdd, stackRows, transposed, type DecoderContext, type GraphOptions } from './graph-parts';
import type { OnnxModel } from './onnx-writer';

/**
 * Inverse frequency j of RoPE as HF computes it in float32, with rope_scaling applied: 'linear'
 * divides by factor; 'llama3' (Llama 3.1/3.2, `_compute_llama3_parameters`) divides long wavelengths
 * (> original context / low_freq_factor) by factor, keeps short ones (< original / high_freq_factor)
 * and blends in between.
 */
export function ropeInverseFrequency(theta: number, headDim: number, j: number, scaling?: RopeScaling | null): number {
  const invFreq = Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / headDim)));
  if (!scaling) return invFreq;
  if (scaling.type === 'linear') return Math.fround(invFreq / scaling.factor);
  const { factor, lowFreqFactor: low = 1, highFreqFactor: high = 4, originalMaxPositionEmbeddings: original = 8192 } = scaling;
  const wavelen = (2 * Math.PI) / invFreq;
  if (wavelen > original / low) return Math.fround(invFreq / factor);
  if (wavelen < original / high) return invFreq;
  const smooth = (original / wavelen - low) / (high - low);
  return Math.fround((1 - smooth) * (invFreq / factor) + smooth * invFreq);
}

/** cos/sin tables [maxPos, hd] as HF computes them (float32 inverse frequencies and angles). */
export function ropeTables(theta: number, headDim: number, maxPos: number, scaling?: RopeScaling | null): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(maxPos * headDim);
  const sin = new Float32Array(maxPos * headDim);
  for (let j = 0; j < half; j++) {
    const invFreq = ropeInverseFrequency(theta, headDim, j, scaling);
    for (let p = 0; p < maxPos; p++) {
      const angle = Math.fround(p * invFreq);
      cos[p * headDim + j] = cos[p * headDim + j + half] = Math.cos(angle);
      sin[p * headDim + j] = sin[p * headDim + j + half] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

function scaled(w: WeightTensor, s: number): WeightTensor {
  return { shape: w.shape, data: w.data.map((v) => v * s) };
}

/** Values of `w` materialised once (a lazy weight recomputes `data` on each read). */
function held(w: WeightTensor): WeightTensor {
  return { shape: w.shape, data: w.data };
}

/** The Pow→ReduceMean→Add→Sqrt→Div→Mul pattern, which onnxruntime fuses into SimplifiedLayerNormalization. */
function rmsNorm(ctx: DecoderContext, x: string, weightName: string): string {
  const { b, spec } = ctx;
  const w = getWeight(spec, weightName);
  return rmsNormOp(b, x, b.floatInit(weightName, w.shape, () => w.data), spec.config.normEps);
}

/** RMSNorm over the last axis with a weight value (initializer or graph input); also used by block-graph.ts. */
export function rmsNormOp(b: GraphBuilder, x: string, weight: string, eps: number): string {
  const ms = b.op('ReduceMean', [b.op('Pow', [x, b.scalar(2)])], { axes: [-1], keepdims: 1 });
  const y = b.op('Div', [x, b.op('Sqrt', [b.op('Add', [ms, b.scalar(eps)])])]);
  return b.op('Mul', [y, weight]);
}

function rotateHalf(ctx: DecoderContext, x: string, hd: number): string {
  return rotateHalfOp(ctx.b, x, hd);
}

/** rotate_half along the last axis (size hd): [−x2, x1]. */
export function rotateHalfOp(b: GraphBuilder, x: string, hd: number): string {
  const [x1, x2] = b.opN('Split', [x, b.int64([hd / 2, hd / 2])], 2, { axis: -1 });
  return b.op('Concat', [b.op('Neg', [x2]), x1], { axis: -1 });
}

/** The Llama-family graph as IR; its weight initializers are lazy (computed when encoded). */
export function buildLlamaGraph(spec: ModelSpec, options: GraphOptions): OnnxModel {
  const ctx = declareInputs(spec, options, `prunelab-llama-${options.purpose}`);
  const { b, opts } = ctx;
  const fold = opts.fold;
  const cfg = spec.config;
  const embed = getWeight(spec, N.embed);
  const embedName = b.floatInit(N.embed, embed.shape, () => embed.data);

  const ropeCache = new Map<number, { cos: string; sin: string }>();
  const rope = (hd: number) => {
    let r = ropeCache.get(hd);
    if (!r) {
      const dims = [cfg.maxPositionEmbeddings, hd];
      const pick = (table: string) =>
        ctx.positionIds
          ? b.op('Unsqueeze', [b.op('Gather', [table, ctx.positionIds], { axis: 0 }), b.int64([2])]) // [B,T,1,hd]
          : b.op('Unsqueeze', [b.op('Slice', [table, b.int64([0]), ctx.seqLen, b.int64([0])]), b.int64([1])]); // [T,1,hd]
      const table = (which: 'cos' | 'sin') => () => ropeTables(cfg.ropeTheta, hd, cfg.maxPositionEmbeddings, cfg.ropeScaling)[which];
      r = { cos: pick(b.floatInit(`rope.cos.${hd}`, dims, table('cos'))), sin: pick(b.floatInit(`rope.sin.${hd}`, dims, table('sin'))) };
      ropeCache.set(hd, r);
    }
    return r;
  };
  const optionalBias = (name: string) => spec.weights.get(name) ?? null;

  let x = b.op('Gather', [embedName, ctx.inputIds], { axis: 0 }); // [B,T,h]
  spec.layers.forEach((layer, i) => {
    b.setScope(`/model/layers.${i}`);
    const { numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: F } = layer;
    const scale = 1 / Math.sqrt(hd);
    const { cos, sin } = rope(hd);
    const normed = rmsNorm(ctx, x, N.inputNorm(i));
    const [wq, wk, wv] = [N.q(i), N.k(i), N.v(i)].map((n) => getWeight(spec, n));
    const [bq, bk, bv] = [N.qBias(i), N.kBias(i), N.vBias(i)].map(optionalBias);
    let q: string, k: string, v: string;
    if (fold) {
      // One projection [q·s | k | v]; RoPE on q and k together (one rotate_half). Folding rotate_half
      // into extra weight rows (as before) adds (H+KV)·hd rows: +13% bytes per decoded token on
      // SmolLM2-135M, and decode is bound by reading weights.
      const fused = (q: WeightTensor, k: WeightTensor, v: WeightTensor) => stackRows([scaled(held(q), scale), held(k), held(v)]).data;
      const w = lazyWeight([(H + 2 * KV) * hd, wq.shape[1]], () => fused(wq, wk, wv));
      let bias: WeightTensor | null = null;
      if (bq || bk || bv) {
        const column = (t: WeightTensor | null, n: number) => ({ shape: [n, 1], data: t ? t.data : new Float32Array(n) });
        bias = lazyWeight([(H + 2 * KV) * hd], () => fused(column(bq, H * hd), column(bk, KV * hd), column(bv, KV * hd)));
      }
      const qkv = linear(b, normed, w, `model.layers.${i}.self_attn.qkv_proj`, bias);
      const qkDim = (H + KV) * hd;
      const [qk, vFlat] = b.opN('Split', [qkv, b.int64([qkDim, KV * hd])], 2, { axis: -1 });
      const qk4 = b.op('Reshape', [qk, b.int64([0, 0, H + KV, hd])]);
      const emb = b.op('Add', [b.op('Mul', [qk4, cos]), b.op('Mul', [rotateHalf(ctx, qk4, hd), sin])]);
      [q, k] = b.opN('Split', [emb, b.int64([H, KV])], 2, { axis: 2 });
      v = b.op('Reshape', [vFlat, b.int64([0, 0, KV, hd])]);
    } else {
      const proj = (w: WeightTensor, bias: WeightTensor | null, name: string, heads: number) =>
        b.op('Reshape', [linear(b, normed, w, `model.layers.${i}.self_attn.${name}`, bias), b.int64([0, 0, heads, hd])]);
      const ropeApply = (t: string) => b.op('Add', [b.op('Mul', [t, cos]), b.op('Mul', [rotateHalf(ctx, t, hd), sin])]);
      q = b.op('Mul', [ropeApply(proj(wq, bq, 'q_proj', H)), b.scalar(scale)]);
      k = ropeApply(proj(wk, bk, 'k_proj', KV));
      v = proj(wv, bv, 'v_proj', KV);
    }
    const attn = attention(ctx, i, q, k, v);
    x = residualAdd(ctx, i, x, linear(b, attn, getWeight(spec, N.o(i)), `model.layers.${i}.self_attn.o_proj`));

    const normed2 = rmsNorm(ctx, x, N.postAttnNorm(i));
    const [wg, wu] = [getWeight(spec, N.gate(i)), getWeight(spec, N.up(i))];
    let gate: string, up: string;
    if (fold) {
      const w = lazyWeight([2 * F, wg.shape[1]], () => stackRows([wg, wu]).data);
      [gate, up] = b.opN('Split', [linear(b, normed2, w, `model.layers.${i}.mlp.gate_up_proj`), b.int64([F, F])], 2, { axis: -1 });
    } else {
      gate = linear(b, normed2, wg, `model.layers.${i}.mlp.gate_proj`);
      up = linear(b, normed2, wu, `model.layers.${i}.mlp.up_proj`);
    }
    const act = b.op('Mul', [b.op('Mul', [gate, b.op('Sigmoid', [gate])]), up]);
    x = residualAdd(ctx, i, x, linear(b, act, getWeight(spec, N.down(i)), `model.layers.${i}.mlp.down_proj`));
  });

  b.setScope('/model/norm');
  const normed = rmsNorm(ctx, x, N.finalNorm);
  if (cfg.tieWordEmbeddings) return finishGraph(ctx, normed, embedName, true);
  const head = getWeight(spec, N.lmHead);
  return finishGraph(ctx, normed, b.floatInit('lm_head.weight_T', [head.shape[1], head.shape[0]], () => transposed(head)), false);
}
