// Pieces shared by the family graphs: I/O per purpose, the attention mask, GQA attention over the
// KV cache, and the heads (logits / per-token NLL). Pure: imports only the builder and the ModelSpec types.

import { GraphBuilder } from './graph-builder';
import { TensorType, type OnnxModel, type OnnxTensor } from './onnx-writer';
import type { ModelSpec, WeightTensor } from '../model/model-spec';
import { toFp16Compute, type ComputePrecision } from './precision';

/**
 * 'gated-nll' is 'nll' plus an input `block_gates` float32 [L]: block i's residual contributions
 * (attention and MLP) are multiplied by gates[i], so a gate of 0 skips the block exactly (SLEB).
 */
export type GraphPurpose = 'decoder' | 'nll' | 'gated-nll';

export interface GraphOptions {
  purpose: GraphPurpose;
  /**
   * Fold into the weights what standard ops would otherwise compute at run time: fused q/k/v and
   * gate/up projections and the 1/√headDim scale. Faster; the initializers then no longer map 1:1 to ModelSpec weights, so
   * export passes false. Default true.
   */
  fold?: boolean;
  /** decoder only: logits for the last position only ([batch, 1, vocab]); for prefill/decode. */
  lastLogitsOnly?: boolean;
  /**
   * 'fp16': weight matrices stored and multiplied in float16 (graph/precision.ts), the rest float32.
   * Default 'fp32'. Only for runtimes with float16 kernels (WebGPU with shader-f16, native cpu/cuda).
   */
  precision?: ComputePrecision;
  /**
   * decoder only. 'growing' (default): past and present KV are separate tensors, present = Concat(past,
   * new), one position longer each step. 'fixed': GroupQueryAttention (com.microsoft) over KV buffers of a
   * fixed capacity [batch, kvHeads, capacity, headDim]; the valid length comes from attention_mask (ones for
   * the tokens so far, then the new ones; batch 1, right-aligned, no padding). Bound to the SAME device
   * buffer as past and present (WebGPU), the kernel writes the new positions in place: no per-step
   * allocation or copy of the cache. Needs headDim % 8 = 0 (the kernel's rule; `fixedKvCacheSupported`).
   */
  kvCache?: 'growing' | 'fixed';
  /**
   * Applied to the finished model before encoding (export: fp16 weights, MatMulNBits). Node names
   * follow Optimum (`/model/layers.{i}/self_attn/q_proj/MatMul`), so rewrites can find the linears.
   */
  rewrite?: (model: OnnxModel) => OnnxModel;
}

const BIG = 9007199254740991; // "to the end" for Slice

/** W[out,in] → Wᵀ[in,out] (MatMul layout), optionally with columns scaled. */
export function transposed(w: WeightTensor, rowScale?: Float32Array): Float32Array {
  const [out, inn] = w.shape;
  const data = w.data; // read once: a lazy weight computes `data` on each access
  const t = new Float32Array(out * inn);
  for (let o = 0; o < out; o++) {
    const s = rowScale ? rowScale[o] : 1;
    for (let i = 0; i < inn; i++) t[i * out + o] = data[o * inn + i] * s;
  }
  return t;
}

/** A weight whose values are computed when read (each read of `data` recomputes: read it once). */
export function lazyWeight(shape: number[], compute: () => Float32Array): WeightTensor {
  return {
    shape,
    get data() {
      return compute();
    },
  };
}

/** Stacks [out_k, in] matrices (same in) along out: the weight of one fused projection. */
export function stackRows(ws: WeightTensor[]): WeightTensor {
  const inn = ws[0].shape[1];
  const out = ws.reduce((n, w) => n + w.shape[0], 0);
  const data = new Float32Array(out * inn);
  let off = 0;
  for (const w of ws) {
    const part = w.data;
    data.set(part, off);
    off += part.length;
  }
  return { shape: [out, inn], data };
}

/** 'model.layers.0.self_attn.q_proj' → '/model/layers.0/self_attn/q_proj' (Optimum node scopes). */
export function nodeScopeOf(weightPrefix: string): string {
  return '/' + weightPrefix.replace(/\.(?!\d)/g, '/');
}

/**
 * x[..., in] @ Wᵀ (+ bias): MatMul with a transposed initializer. Its nodes are named like Optimum's
 * (`/model/layers.{i}/self_attn/q_proj/MatMul`), which is what the ONNX importers look for.
 */
export function linear(b: GraphBuilder, x: string, w: WeightTensor, name: string, bias?: WeightTensor | null): string {
  // Lazy: the transposed copy is made when the graph is encoded, one tensor at a time.
  const wt = b.floatInit(`${name}.weight_T`, [w.shape[1], w.shape[0]], () => transposed(w));
  return b.withScope(nodeScopeOf(name), () => {
    const y = b.op('MatMul', [x, wt]);
    return bias ? b.op('Add', [y, b.floatInit(`${name}.bias`, [bias.shape[0]], () => bias.data)]) : y;
  });
}

/** Graph inputs and the values every layer shares. */
export interface DecoderContext {
  b: GraphBuilder;
  spec: ModelSpec;
  opts: Required<GraphOptions>;
  inputIds: string;
  /** int64 [batch, seq] (decoder), or null (nll: positions are 0..seq-1). */
  positionIds: string | null;
  /** Additive float mask [batch|1, 1, seq, total] (0 or −1e9). */
  mask: string;
  /** int64 scalar-as-[1]: seq length. */
  seqLen: string;
  /** 'gated-nll' only: the `block_gates` input, float32 [L]; null otherwise. */
  blockGates: string | null;
  /** kvCache 'fixed' only: GroupQueryAttention's seqlens_k (int32 [batch], valid tokens − 1) and total_sequence_length (int32 scalar). */
  fixedKv: { seqlensK: string; totalLength: string } | null;
}

/** Whether every layer can use the fixed-capacity cache (GroupQueryAttention wants headDim % 8 = 0). */
export function fixedKvCacheSupported(spec: ModelSpec): boolean {
  return spec.layers.every((l) => l.headDim % 8 === 0 && l.numHeads % l.numKvHeads === 0);
}

export function declareInputs(spec: ModelSpec, options: GraphOptions, graphName: string): DecoderContext {
  // `?? default` per field: an explicit `undefined` (e.g. EngineOptions.fold unset) keeps the default.
  const opts: Required<GraphOptions> = {
    purpose: options.purpose,
    fold: options.fold ?? true,
    lastLogitsOnly: options.lastLogitsOnly ?? false,
    precision: options.precision ?? 'fp32',
    rewrite: options.rewrite ?? ((m) => m),
    kvCache: options.purpose === 'decoder' ? (options.kvCache ?? 'growing') : 'growing',
  };
  const b = new GraphBuilder(graphName);
  const inputIds = b.input('input_ids', TensorType.int64, ['batch_size', 'sequence_length']);
  const idsShape = b.op('Shape', [inputIds]);
  const seqLen = b.op('Slice', [idsShape, b.int64([1]), b.int64([2])]);
  const one: OnnxTensor = { name: 'one', dataType: TensorType.float, dims: [1], data: Float32Array.of(1) };
  let mask: string;
  let positionIds: string | null = null;
  const blockGates = opts.purpose === 'gated-nll' ? b.input('block_gates', TensorType.float, [spec.layers.length]) : null;
  if (opts.purpose === 'decoder') {
    const attn = b.input('attention_mask', TensorType.int64, ['batch_size', 'past_sequence_length + sequence_length']);
    positionIds = b.input('position_ids', TensorType.int64, ['batch_size', 'sequence_length']);
    const cacheLength = opts.kvCache === 'fixed' ? 'cache_capacity' : 'past_sequence_length';
    spec.layers.forEach((l, i) => {
      for (const kv of ['key', 'value'])
        b.input(`past_key_values.${i}.${kv}`, TensorType.float, ['batch_size', l.numKvHeads, cacheLength, l.headDim]);
    });
    if (opts.kvCache === 'fixed') {
      // GroupQueryAttention masks causally itself; it takes the valid length per sequence and the total.
      const total = b.op('Slice', [b.op('Shape', [attn]), b.int64([1]), b.int64([2])]);
      const totalLength = b.op('Cast', [b.op('Squeeze', [total, b.int64([0])])], { to: TensorType.int32 });
      const valid = b.op('ReduceSum', [attn, b.int64([1])], { keepdims: 0 });
      const seqlensK = b.op('Cast', [b.op('Sub', [valid, b.int64([1], [])])], { to: TensorType.int32 });
      return { b, spec, opts, inputIds, positionIds, mask: '', seqLen, blockGates, fixedKv: { seqlensK, totalLength } };
    }
    const total = b.op('Slice', [b.op('Shape', [attn]), b.int64([1]), b.int64([2])]);
    const past = b.op('Squeeze', [b.op('Sub', [total, seqLen]), b.int64([0])]);
    const ones = b.op('ConstantOfShape', [b.op('Concat', [seqLen, total], { axis: 0 })], { value: one });
    const causal = b.op('Trilu', [ones, past], { upper: 0 }); // 1 where s ≤ past + t
    const pad = b.op('Unsqueeze', [b.op('Cast', [attn], { to: TensorType.float }), b.int64([1, 2])]); // [B,1,1,S]
    const allowed = b.op('Mul', [causal, pad]); // [B,1,T,S]
    mask = b.op('Mul', [b.op('Sub', [allowed, b.scalar(1)]), b.scalar(1e9)]);
  } else {
    mask = causalMask(b, seqLen); // [T,T]
  }
  return { b, spec, opts, inputIds, positionIds, mask, seqLen, blockGates, fixedKv: null };
}

/** The additive causal mask [T,T] (0 on and below the diagonal, −1e9 above) for T = seqLen. */
export function causalMask(b: GraphBuilder, seqLen: string): string {
  const one: OnnxTensor = { name: 'one', dataType: TensorType.float, dims: [1], data: Float32Array.of(1) };
  const ones = b.op('ConstantOfShape', [b.op('Concat', [seqLen, seqLen], { axis: 0 })], { value: one });
  const causal = b.op('Trilu', [ones], { upper: 0 });
  return b.op('Mul', [b.op('Sub', [causal, b.scalar(1)]), b.scalar(1e9)]);
}

/** x + contribution, the contribution scaled by block_gates[i] in the 'gated-nll' graph. */
export function residualAdd(ctx: DecoderContext, i: number, x: string, contribution: string): string {
  const { b } = ctx;
  if (!ctx.blockGates) return b.op('Add', [x, contribution]);
  const gate = b.op('Slice', [ctx.blockGates, b.int64([i]), b.int64([i + 1])]); // [1], broadcasts
  return b.op('Add', [x, b.op('Mul', [contribution, gate])]);
}

/**
 * Causal attention for layer i. q: [B,T,H,hd], k/v: [B,T,KV,hd] (k already rotated). Query heads
 * share a KV head in groups of G = H/KV by reshaping q to [B,KV,G·T,hd], so K/V are never repeated.
 * Scores are not scaled here: the caller folds 1/√hd into q. Returns [B,T,H·hd].
 */
export function attention(ctx: DecoderContext, i: number, q: string, k: string, v: string): string {
  const { b } = ctx;
  if (ctx.fixedKv) return fixedCacheAttention(ctx, i, q, k, v, ctx.fixedKv);
  let kT = b.op('Transpose', [k], { perm: [0, 2, 1, 3] }); // [B,KV,T,hd]
  let vT = b.op('Transpose', [v], { perm: [0, 2, 1, 3] });
  if (ctx.opts.purpose === 'decoder') {
    kT = b.op('Concat', [`past_key_values.${i}.key`, kT], { axis: 2 }, `present.${i}.key`);
    vT = b.op('Concat', [`past_key_values.${i}.value`, vT], { axis: 2 }, `present.${i}.value`);
  }
  return groupedAttention(b, ctx.mask, ctx.spec.layers[i], q, kT, vT);
}

/**
 * Attention over the fixed-capacity cache: one GroupQueryAttention node reads past_key_values.{i}.* and
 * writes present.{i}.* (the same buffers when the caller binds them so), q already scaled (scale 1) and
 * rotated (no do_rotary). Returns [B,T,H·hd] like groupedAttention.
 */
function fixedCacheAttention(ctx: DecoderContext, i: number, q: string, k: string, v: string, kv: { seqlensK: string; totalLength: string }): string {
  const { b } = ctx;
  const { numHeads: H, numKvHeads: KV, headDim: hd } = ctx.spec.layers[i];
  const flat = (t: string, heads: number) => b.op('Reshape', [t, b.int64([0, 0, heads * hd])]);
  const [out] = b.opN(
    'GroupQueryAttention',
    [flat(q, H), flat(k, KV), flat(v, KV), `past_key_values.${i}.key`, `past_key_values.${i}.value`, kv.seqlensK, kv.totalLength],
    3,
    { num_heads: H, kv_num_heads: KV, scale: { float: 1 } },
    [undefined, `present.${i}.key`, `present.${i}.value`],
    'com.microsoft',
  );
  return out;
}

/**
 * The attention core shared by the model graphs and the block graph (graph/block-graph.ts).
 * q: [B,T,H,hd] (already scaled), kT/vT: [B,KV,S,hd]; mask broadcasts to [B,H,T,S]. Returns [B,T,H·hd].
 */
export function groupedAttention(
  b: GraphBuilder,
  mask: string,
  layer: { numHeads: number; numKvHeads: number; headDim: number },
  q: string,
  kT: string,
  vT: string,
): string {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = layer;
  const G = H / KV;
  let qT = b.op('Transpose', [q], { perm: [0, 2, 1, 3] }); // [B,H,T,hd]
  if (G > 1) qT = b.op('Reshape', [qT, b.int64([0, KV, -1, hd])]); // [B,KV,G·T,hd]
  let scores = b.op('MatMul', [qT, b.op('Transpose', [kT], { perm: [0, 1, 3, 2] })]); // [B,KV,G·T,S]
  if (G > 1) scores = b.op('Reshape', [scores, b.int64([0, H, -1, 0])]); // [B,H,T,S]
  let probs = b.op('Softmax', [b.op('Add', [scores, mask])], { axis: -1 });
  if (G > 1) probs = b.op('Reshape', [probs, b.int64([0, KV, -1, 0])]);
  let out = b.op('MatMul', [probs, vT]); // [B,KV,G·T,hd]
  if (G > 1) out = b.op('Reshape', [out, b.int64([0, H, -1, hd])]);
  out = b.op('Transpose', [out], { perm: [0, 2, 1, 3] }); // [B,T,H,hd]
  return b.op('Reshape', [out, b.int64([0, 0, H * hd])]);
}

/**
 * The head after the final norm: hidden [B,T,h] → logits (decoder) or nll [B,T-1] (nll graph).
 * `headWeight` is [vocab, h]; when `shared` it is also the embedding table, so it is multiplied
 * with Gemm transB instead of storing a transposed copy.
 */
export function finishGraph(ctx: DecoderContext, hidden: string, headWeight: string, shared: boolean, headBias?: string): OnnxModel {
  const { b, spec, opts } = ctx;
  const V = spec.config.vocabSize;
  const h = spec.config.hiddenSize;
  b.setScope('/lm_head');
  if (opts.purpose !== 'decoder') hidden = b.op('Slice', [hidden, b.int64([0]), b.int64([-1]), b.int64([1])]);
  else if (opts.lastLogitsOnly) hidden = b.op('Slice', [hidden, b.int64([-1]), b.int64([BIG]), b.int64([1])]);
  let logits: string;
  if (shared) {
    const flat = b.op('Reshape', [hidden, b.int64([-1, h])]);
    const gemm = b.op('Gemm', headBias ? [flat, headWeight, headBias] : [flat, headWeight], { transB: 1 });
    const lead = b.op('Slice', [b.op('Shape', [hidden]), b.int64([0]), b.int64([2])]);
    logits = b.op('Reshape', [gemm, b.op('Concat', [lead, b.int64([V])], { axis: 0 })]);
  } else {
    logits = b.op('MatMul', [hidden, headWeight]);
    if (headBias) logits = b.op('Add', [logits, headBias]);
  }
  if (opts.purpose === 'decoder') {
    b.output(logits, 'logits', TensorType.float, ['batch_size', opts.lastLogitsOnly ? 1 : 'sequence_length', V]);
    spec.layers.forEach((l, i) => {
      for (const kv of ['key', 'value'])
        b.outputs.push({
          name: `present.${i}.${kv}`,
          elemType: TensorType.float,
          dims: ['batch_size', l.numKvHeads, opts.kvCache === 'fixed' ? 'cache_capacity' : 'past_sequence_length + sequence_length', l.headDim],
        });
    });
  } else {
    const targets = b.op('Slice', [ctx.inputIds, b.int64([1]), b.int64([BIG]), b.int64([1])]); // [B,T-1]
    const logp = b.op('LogSoftmax', [logits], { axis: -1 });
    const picked = b.op('GatherElements', [logp, b.op('Unsqueeze', [targets, b.int64([2])])], { axis: 2 });
    const nll = b.op('Neg', [b.op('Squeeze', [picked, b.int64([2])])]);
    b.output(nll, 'nll', TensorType.float, ['batch_size', 'sequence_length - 1']);
  }
  const model = b.toModel();
  return opts.rewrite(opts.precision === 'fp16' ? toFp16Compute(model) : model);
}
