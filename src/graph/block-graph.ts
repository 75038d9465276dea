// One decoder block as its own ONNX graph for sequential calibration: hidden [N,T,d] → hidden_out,
// plus statistics of each linear layer's input. The block's weights are graph INPUTS, so one session
// serves every block of the same shapes. Pure: imports only graph/ and the ModelSpec types.

import { gpt2Names, llamaNames, type ModelFamily, type ModelSpec, type RopeScaling } from '../model/model-spec';
import { GraphBuilder } from './graph-builder';
import { groupedAttention } from './graph-parts';
import { geluNewOp, layerNormOp } from './gpt2-graph';
import { ropeTables, rmsNormOp, rotateHalfOp } from './llama-graph';
import { encodeOnnxModel, TensorType, type OnnxModel } from './onnx-writer';

/** Same values as pruning/calibration.ts StatsKind (graph/ does not import pruning/). */
export type BlockStatsKind = 'none' | 'norms' | 'gram';

export interface BlockGraphOptions {
  /** 'norms': `sqnorm.<group>` [d_in] outputs; 'gram': also `gram.<group>` [d_in, d_in]. */
  stats: BlockStatsKind;
  /** Adds `token_cos` [N·T]: cos(h_in, h_out) per token (ShortGPT's block influence). */
  cosine?: boolean;
}

/** Everything the block graph bakes in; blocks with equal shapes share one graph (and session). */
export interface BlockShape {
  family: ModelFamily;
  hidden: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  /** llama family: q/k/v biases (qwen2) are fed; gpt2 always has biases. */
  qkvBias: boolean;
  normEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositions: number;
}

/** One graph input carrying a weight: its input name, the ModelSpec weight name, its dims. */
export interface BlockWeightInput {
  input: string;
  weight: string;
  dims: number[];
  /** Fed as zeros when the spec lacks it (a qwen2-style block with only some q/k/v biases). */
  optional: boolean;
}

/** Linear layers reading the same input: statistics come out as `sqnorm.<name>` / `gram.<name>`. */
export interface BlockStatGroup {
  name: string;
  channels: number;
  weights: string[];
}

export function blockShape(spec: ModelSpec, i: number): BlockShape {
  const l = spec.layers[i];
  const n = llamaNames;
  return {
    family: spec.family,
    hidden: spec.config.hiddenSize,
    numHeads: l.numHeads,
    numKvHeads: l.numKvHeads,
    headDim: l.headDim,
    intermediateSize: l.intermediateSize,
    qkvBias: spec.family === 'gpt2' || [n.qBias(i), n.kBias(i), n.vBias(i)].some((b) => spec.weights.has(b)),
    normEps: spec.config.normEps,
    ropeTheta: spec.family === 'llama' ? spec.config.ropeTheta : 0,
    ropeScaling: spec.family === 'llama' ? (spec.config.ropeScaling ?? null) : null,
    maxPositions: spec.family === 'llama' ? spec.config.maxPositionEmbeddings : 0,
  };
}

/** The session cache key: the shape signature plus the outputs asked for. */
export function blockSessionKey(shape: BlockShape, options: BlockGraphOptions): string {
  return [...Object.values(shape).map((v) => (typeof v === 'object' ? JSON.stringify(v) : v)), options.stats, options.cosine ? 'cos' : 'nocos'].join('|');
}

/** The weight inputs of block i, in graph-input order. */
export function blockWeightInputs(spec: ModelSpec, i: number): BlockWeightInput[] {
  return weightRoles(blockShape(spec, i)).map((r) => ({ input: r.input, weight: r.weight(i), dims: r.dims, optional: r.optional }));
}

export function blockStatGroups(spec: ModelSpec, i: number): BlockStatGroup[] {
  const s = blockShape(spec, i);
  const qDim = s.numHeads * s.headDim;
  if (spec.family === 'llama') {
    const n = llamaNames;
    return [
      { name: 'attn_in', channels: s.hidden, weights: [n.q(i), n.k(i), n.v(i)] },
      { name: 'o_in', channels: qDim, weights: [n.o(i)] },
      { name: 'mlp_in', channels: s.hidden, weights: [n.gate(i), n.up(i)] },
      { name: 'down_in', channels: s.intermediateSize, weights: [n.down(i)] },
    ];
  }
  const n = gpt2Names;
  return [
    { name: 'attn_in', channels: s.hidden, weights: [n.q(i), n.k(i), n.v(i)] },
    { name: 'o_in', channels: qDim, weights: [n.o(i)] },
    { name: 'mlp_in', channels: s.hidden, weights: [n.fc(i)] },
    { name: 'down_in', channels: s.intermediateSize, weights: [n.proj(i)] },
  ];
}

interface Role {
  input: string;
  weight: (i: number) => string;
  dims: number[];
  optional: boolean;
}

function weightRoles(s: BlockShape): Role[] {
  const d = s.hidden;
  const q = s.numHeads * s.headDim;
  const kv = s.numKvHeads * s.headDim;
  const F = s.intermediateSize;
  const role = (input: string, weight: (i: number) => string, dims: number[], optional = false): Role => ({ input, weight, dims, optional });
  if (s.family === 'llama') {
    const n = llamaNames;
    const bias = s.qkvBias ? [role('q_bias', n.qBias, [q], true), role('k_bias', n.kBias, [kv], true), role('v_bias', n.vBias, [kv], true)] : [];
    return [
      role('input_norm', n.inputNorm, [d]),
      role('q', n.q, [q, d]),
      role('k', n.k, [kv, d]),
      role('v', n.v, [kv, d]),
      ...bias,
      role('o', n.o, [d, q]),
      role('post_norm', n.postAttnNorm, [d]),
      role('gate', n.gate, [F, d]),
      role('up', n.up, [F, d]),
      role('down', n.down, [d, F]),
    ];
  }
  const n = gpt2Names;
  return [
    role('ln1_weight', n.ln1Weight, [d]),
    role('ln1_bias', n.ln1Bias, [d]),
    role('q', n.q, [q, d]),
    role('q_bias', n.qBias, [q]),
    role('k', n.k, [kv, d]),
    role('k_bias', n.kBias, [kv]),
    role('v', n.v, [kv, d]),
    role('v_bias', n.vBias, [kv]),
    role('o', n.o, [d, q]),
    role('o_bias', n.oBias, [d]),
    role('ln2_weight', n.ln2Weight, [d]),
    role('ln2_bias', n.ln2Bias, [d]),
    role('fc', n.fc, [F, d]),
    role('fc_bias', n.fcBias, [F]),
    role('proj', n.proj, [d, F]),
    role('proj_bias', n.projBias, [d]),
  ];
}

/**
 * The additive causal mask [T,T] from Range/Less/Cast (WebGPU kernels exist for all three, unlike
 * Trilu/ConstantOfShape, so the mask is made on the device): −1e9 where key j > query i, else 0.
 */
function causalMaskOnDevice(b: GraphBuilder, seqLen: string): string {
  const T = b.op('Cast', [b.op('Squeeze', [seqLen, b.int64([0])])], { to: TensorType.float });
  const positions = b.op('Range', [b.scalar(0), T, b.scalar(1)]); // [T] float
  const later = b.op('Less', [b.op('Unsqueeze', [positions, b.int64([1])]), b.op('Unsqueeze', [positions, b.int64([0])])]); // i < j
  return b.op('Mul', [b.op('Cast', [later], { to: TensorType.float }), b.scalar(-1e9)]);
}

/**
 * hidden [N,T,d] → hidden_out [N,T,d] (+ sqnorm.* / gram.* / token_cos). Tokens are flattened to
 * [N·T, d] so every linear is one Gemm(transB=1) on the fed W[out,in] (no transposed copies).
 */
export function buildBlockGraph(shape: BlockShape, options: BlockGraphOptions): Uint8Array {
  return encodeOnnxModel(buildBlockModel(shape, options));
}

/** The block graph as IR (autodiff and rewrites walk it); buildBlockGraph encodes it. */
export function buildBlockModel(shape: BlockShape, options: BlockGraphOptions): OnnxModel {
  const b = new GraphBuilder(`prunelab-${shape.family}-block`);
  const { hidden: d, numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: F } = shape;
  const hiddenIn = b.input('hidden', TensorType.float, ['windows', 'tokens', d]);
  const w: Record<string, string> = {};
  for (const r of weightRoles(shape)) w[r.input] = b.input(r.input, TensorType.float, r.dims);

  const hiddenShape = b.op('Shape', [hiddenIn]);
  const lead = b.op('Slice', [hiddenShape, b.int64([0]), b.int64([2])]); // [N, T]
  const seqLen = b.op('Slice', [hiddenShape, b.int64([1]), b.int64([2])]);
  const mask = causalMaskOnDevice(b, seqLen);
  const x0 = b.op('Reshape', [hiddenIn, b.int64([-1, d])]); // [N·T, d]
  const gemm = (x: string, weight: string, bias?: string) => b.op('Gemm', bias ? [x, w[weight], w[bias]] : [x, w[weight]], { transB: 1 });
  const heads = (t: string, n: number) => b.op('Reshape', [t, b.op('Concat', [lead, b.int64([n, hd])], { axis: 0 })]); // [N,T,n,hd]
  const toKv = (t: string) => b.op('Transpose', [t], { perm: [0, 2, 1, 3] }); // [N,n,T,hd]
  const flat = (t: string, n: number) => b.op('Reshape', [t, b.int64([-1, n])]);
  const statInputs: [string, string][] = [];

  let x = x0;
  if (shape.family === 'llama') {
    const t = ropeTables(shape.ropeTheta, hd, shape.maxPositions, shape.ropeScaling);
    const table = (name: string, data: Float32Array) => {
      const sliced = b.op('Slice', [b.floatInit(name, [shape.maxPositions, hd], data), b.int64([0]), seqLen, b.int64([0])]);
      return b.op('Unsqueeze', [sliced, b.int64([1])]); // [T,1,hd]
    };
    const [cos, sin] = [table('rope.cos', t.cos), table('rope.sin', t.sin)];
    const rope = (v: string) => b.op('Add', [b.op('Mul', [v, cos]), b.op('Mul', [rotateHalfOp(b, v, hd), sin])]);
    const normed = rmsNormOp(b, x, w.input_norm, shape.normEps);
    const bias = (name: string) => (shape.qkvBias ? name : undefined);
    const q = b.op('Mul', [rope(heads(gemm(normed, 'q', bias('q_bias')), H)), b.scalar(1 / Math.sqrt(hd))]);
    const k = rope(heads(gemm(normed, 'k', bias('k_bias')), KV));
    const v = heads(gemm(normed, 'v', bias('v_bias')), KV);
    const attn = flat(groupedAttention(b, mask, shape, q, toKv(k), toKv(v)), H * hd);
    x = b.op('Add', [x, gemm(attn, 'o')]);
    const normed2 = rmsNormOp(b, x, w.post_norm, shape.normEps);
    const gate = gemm(normed2, 'gate');
    const act = b.op('Mul', [b.op('Mul', [gate, b.op('Sigmoid', [gate])]), gemm(normed2, 'up')]);
    x = b.op('Add', [x, gemm(act, 'down')]);
    statInputs.push(['attn_in', normed], ['o_in', attn], ['mlp_in', normed2], ['down_in', act]);
  } else {
    const h1 = layerNormOp(b, x, w.ln1_weight, w.ln1_bias, shape.normEps);
    const q = heads(b.op('Mul', [gemm(h1, 'q', 'q_bias'), b.scalar(1 / Math.sqrt(hd))]), H);
    const k = heads(gemm(h1, 'k', 'k_bias'), KV);
    const v = heads(gemm(h1, 'v', 'v_bias'), KV);
    const attn = flat(groupedAttention(b, mask, shape, q, toKv(k), toKv(v)), H * hd);
    x = b.op('Add', [x, gemm(attn, 'o', 'o_bias')]);
    const h2 = layerNormOp(b, x, w.ln2_weight, w.ln2_bias, shape.normEps);
    const act = geluNewOp(b, gemm(h2, 'fc', 'fc_bias'));
    x = b.op('Add', [x, gemm(act, 'proj', 'proj_bias')]);
    statInputs.push(['attn_in', h1], ['o_in', attn], ['mlp_in', h2], ['down_in', act]);
  }
  b.output(b.op('Reshape', [x, hiddenShape]), 'hidden_out', TensorType.float, ['windows', 'tokens', d]);

  const channels: Record<string, number> = { attn_in: d, o_in: H * hd, mlp_in: d, down_in: F };
  if (options.stats !== 'none') {
    for (const [name, value] of statInputs) {
      // Summed over all N·T tokens in float32; the runner accumulates batches in float64.
      const sq = b.op('ReduceSumSquare', [value], { axes: [0], keepdims: 0 });
      b.output(sq, `sqnorm.${name}`, TensorType.float, [channels[name]]);
      if (options.stats === 'gram') b.output(b.op('Gemm', [value, value], { transA: 1 }), `gram.${name}`, TensorType.float, [channels[name], channels[name]]);
    }
  }
  if (options.cosine) {
    const dot = b.op('ReduceSum', [b.op('Mul', [x0, x]), b.int64([1])], { keepdims: 0 });
    const norm = (v: string) => b.op('Sqrt', [b.op('ReduceSumSquare', [v], { axes: [1], keepdims: 0 })]);
    const denominator = b.op('Clip', [b.op('Mul', [norm(x0), norm(x)]), b.scalar(1e-8)]); // torch cosine_similarity's eps
    b.output(b.op('Div', [dot, denominator]), 'token_cos', TensorType.float, ['windows * tokens']);
  }
  return b.toModel();
}
