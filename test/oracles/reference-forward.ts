// Plain-TS reference forward pass (llama + gpt2) in float64, straight from the HF definitions,
// and tiny random ModelSpecs. Test-only oracle: imports nothing from graph/ or runtime/.

import { mulberry32 } from '../../src/pruning/calibration-data';
import { gpt2Names, llamaNames, type LayerSpec, type ModelSpec, type WeightTensor } from '../../src/model/model-spec';

type Mat = Float64Array[]; // rows

function w(spec: ModelSpec, name: string): WeightTensor {
  const t = spec.weights.get(name);
  if (!t) throw new Error(`oracle: missing ${name}`);
  return t;
}

/** x[T,in] · Wᵀ + b, W[out,in]. */
function lin(x: Mat, W: WeightTensor, bias?: WeightTensor): Mat {
  const [out, inn] = W.shape;
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = bias ? bias.data[o] : 0;
      for (let i = 0; i < inn; i++) s += row[i] * W.data[o * inn + i];
      y[o] = s;
    }
    return y;
  });
}

const add = (a: Mat, b: Mat): Mat => a.map((r, t) => r.map((v, j) => v + b[t][j]));

export function rms(x: Mat, g: WeightTensor, eps: number): Mat {
  return x.map((r) => {
    const ms = r.reduce((s, v) => s + v * v, 0) / r.length;
    const inv = 1 / Math.sqrt(ms + eps);
    return r.map((v, j) => v * inv * g.data[j]);
  });
}

export function layerNorm(x: Mat, g: WeightTensor, b: WeightTensor, eps: number): Mat {
  return x.map((r) => {
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const vr = r.reduce((s, v) => s + (v - mean) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mean) / Math.sqrt(vr + eps)) * g.data[j] + b.data[j]);
  });
}

function rope(x: Mat, heads: number, hd: number, theta: number, pos0: number): Mat {
  const half = hd / 2;
  return x.map((r, t) => {
    const y = new Float64Array(r.length);
    for (let h = 0; h < heads; h++)
      for (let j = 0; j < hd; j++) {
        const f = (pos0 + t) / theta ** ((2 * (j % half)) / hd);
        const rot = j < half ? -r[h * hd + j + half] : r[h * hd + j - half];
        y[h * hd + j] = r[h * hd + j] * Math.cos(f) + rot * Math.sin(f);
      }
    return y;
  });
}

/** Causal attention with GQA (query head h uses KV head ⌊h/G⌋). q[T,H·hd], k/v[T,KV·hd]. */
function attend(q: Mat, k: Mat, v: Mat, l: LayerSpec): Mat {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = l;
  const G = H / KV;
  return q.map((qr, t) => {
    const out = new Float64Array(H * hd);
    for (let h = 0; h < H; h++) {
      const kv = Math.floor(h / G);
      const s: number[] = [];
      for (let u = 0; u <= t; u++) {
        let d = 0;
        for (let j = 0; j < hd; j++) d += qr[h * hd + j] * k[u][kv * hd + j];
        s.push(d / Math.sqrt(hd));
      }
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let u = 0; u <= t; u++) for (let j = 0; j < hd; j++) out[h * hd + j] += (e[u] / z) * v[u][kv * hd + j];
    }
    return out;
  });
}

export interface BlockReference {
  output: Mat;
  /** Inputs of the attention projections, o_proj, gate/up (c_fc), down (mlp c_proj). */
  inputs: { attn_in: Mat; o_in: Mat; mlp_in: Mat; down_in: Mat };
}

/** Block i of `spec` on one window's hidden states x [T, d]. */
export function referenceBlock(spec: ModelSpec, i: number, x: Mat): BlockReference {
  const c = spec.config;
  const l = spec.layers[i];
  if (spec.family === 'llama') {
    const n = llamaNames;
    const opt = (name: string) => spec.weights.get(name);
    const a = rms(x, w(spec, n.inputNorm(i)), c.normEps);
    const q = rope(lin(a, w(spec, n.q(i)), opt(n.qBias(i))), l.numHeads, l.headDim, c.ropeTheta, 0);
    const k = rope(lin(a, w(spec, n.k(i)), opt(n.kBias(i))), l.numKvHeads, l.headDim, c.ropeTheta, 0);
    const o = attend(q, k, lin(a, w(spec, n.v(i)), opt(n.vBias(i))), l);
    const x1 = add(x, lin(o, w(spec, n.o(i))));
    const m = rms(x1, w(spec, n.postAttnNorm(i)), c.normEps);
    const g = lin(m, w(spec, n.gate(i)));
    const u = lin(m, w(spec, n.up(i)));
    const act = g.map((r, t) => r.map((v, j) => (v / (1 + Math.exp(-v))) * u[t][j]));
    return { output: add(x1, lin(act, w(spec, n.down(i)))), inputs: { attn_in: a, o_in: o, mlp_in: m, down_in: act } };
  }
  const n = gpt2Names;
  const a = layerNorm(x, w(spec, n.ln1Weight(i)), w(spec, n.ln1Bias(i)), c.normEps);
  const q = lin(a, w(spec, n.q(i)), w(spec, n.qBias(i)));
  const k = lin(a, w(spec, n.k(i)), w(spec, n.kBias(i)));
  const o = attend(q, k, lin(a, w(spec, n.v(i)), w(spec, n.vBias(i))), l);
  const x1 = add(x, lin(o, w(spec, n.o(i)), w(spec, n.oBias(i))));
  const m = layerNorm(x1, w(spec, n.ln2Weight(i)), w(spec, n.ln2Bias(i)), c.normEps);
  const f = lin(m, w(spec, n.fc(i)), w(spec, n.fcBias(i)));
  const k0 = Math.sqrt(2 / Math.PI);
  const act = f.map((r) => r.map((v) => 0.5 * v * (1 + Math.tanh(k0 * (v + 0.044715 * v ** 3)))));
  return { output: add(x1, lin(act, w(spec, n.proj(i)), w(spec, n.projBias(i)))), inputs: { attn_in: a, o_in: o, mlp_in: m, down_in: act } };
}

/** Final norm + lm_head on hidden rows [T, d] → logits rows, float64. */
export function referenceHead(spec: ModelSpec, x: Mat): Mat {
  const c = spec.config;
  const normed =
    spec.family === 'llama'
      ? rms(x, w(spec, llamaNames.finalNorm), c.normEps)
      : layerNorm(x, w(spec, gpt2Names.finalNormWeight), w(spec, gpt2Names.finalNormBias), c.normEps);
  const head = c.tieWordEmbeddings ? w(spec, spec.family === 'llama' ? llamaNames.embed : gpt2Names.embed) : w(spec, 'lm_head.weight');
  return lin(normed, head);
}

/** Logits [T, vocab] for one sequence, row-major: embedding → every block → final norm and head. */
export function referenceLogits(spec: ModelSpec, ids: number[]): Float64Array {
  const c = spec.config;
  const isLlama = spec.family === 'llama';
  const E = w(spec, isLlama ? llamaNames.embed : gpt2Names.embed);
  const h = c.hiddenSize;
  let x: Mat = ids.map((id, t) => {
    const r = Float64Array.from(E.data.subarray(id * h, (id + 1) * h));
    if (!isLlama) for (let j = 0; j < h; j++) r[j] += w(spec, gpt2Names.positions).data[t * h + j];
    return r;
  });
  spec.layers.forEach((_l, i) => {
    x = referenceBlock(spec, i, x).output;
  });
  const logits = referenceHead(spec, x);
  const out = new Float64Array(ids.length * c.vocabSize);
  logits.forEach((r, t) => out.set(r, t * c.vocabSize));
  return out;
}

/** Deterministic PRNG: the lab's own mulberry32 (calibration sampling uses the same). */
export const rng = mulberry32;

export interface TinySpecOptions {
  family: 'llama' | 'gpt2';
  layers: Omit<LayerSpec, 'sourceIndex'>[];
  hidden?: number;
  vocab?: number;
  tied?: boolean;
  qkvBias?: boolean; // llama family: qwen2-style q/k/v biases
  seed?: number;
}

/** A tiny random ModelSpec with the canonical weight names. */
export function tinySpec(o: TinySpecOptions): ModelSpec {
  const r = rng(o.seed ?? 1);
  const hidden = o.hidden ?? 16;
  const vocab = o.vocab ?? 40;
  const weights = new Map<string, WeightTensor>();
  const put = (name: string, shape: number[], scale = 0.3, offset = 0) =>
    weights.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + (r() * 2 - 1) * scale) });
  const tied = o.tied ?? true;
  if (o.family === 'llama') {
    const n = llamaNames;
    put(n.embed, [vocab, hidden], 1);
    put(n.finalNorm, [hidden], 0.2, 1);
    if (!tied) put(n.lmHead, [vocab, hidden]);
    o.layers.forEach((l, i) => {
      const q = l.numHeads * l.headDim, kv = l.numKvHeads * l.headDim;
      put(n.inputNorm(i), [hidden], 0.2, 1);
      put(n.postAttnNorm(i), [hidden], 0.2, 1);
      put(n.q(i), [q, hidden]); put(n.k(i), [kv, hidden]); put(n.v(i), [kv, hidden]); put(n.o(i), [hidden, q]);
      if (o.qkvBias) { put(n.qBias(i), [q]); put(n.kBias(i), [kv]); put(n.vBias(i), [kv]); }
      put(n.gate(i), [l.intermediateSize, hidden]); put(n.up(i), [l.intermediateSize, hidden]); put(n.down(i), [hidden, l.intermediateSize]);
    });
  } else {
    const n = gpt2Names;
    put(n.embed, [vocab, hidden], 1);
    put(n.positions, [64, hidden], 0.5);
    put(n.finalNormWeight, [hidden], 0.2, 1); put(n.finalNormBias, [hidden], 0.1);
    if (!tied) put('lm_head.weight', [vocab, hidden]);
    o.layers.forEach((l, i) => {
      const q = l.numHeads * l.headDim;
      put(n.ln1Weight(i), [hidden], 0.2, 1); put(n.ln1Bias(i), [hidden], 0.1);
      put(n.ln2Weight(i), [hidden], 0.2, 1); put(n.ln2Bias(i), [hidden], 0.1);
      for (const [wn, bn] of [[n.q(i), n.qBias(i)], [n.k(i), n.kBias(i)], [n.v(i), n.vBias(i)]]) { put(wn, [q, hidden]); put(bn, [q], 0.1); }
      put(n.o(i), [hidden, q]); put(n.oBias(i), [hidden], 0.1);
      put(n.fc(i), [l.intermediateSize, hidden]); put(n.fcBias(i), [l.intermediateSize], 0.1);
      put(n.proj(i), [hidden, l.intermediateSize]); put(n.projBias(i), [hidden], 0.1);
    });
  }
  return {
    family: o.family,
    config: {
      modelType: o.family === 'gpt2' ? 'gpt2' : o.qkvBias ? 'qwen2' : 'llama',
      vocabSize: vocab, hiddenSize: hidden, maxPositionEmbeddings: 64,
      normEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: tied,
      hiddenAct: o.family === 'gpt2' ? 'gelu_new' : 'silu', bosTokenId: 1, eosTokenIds: [2], raw: {},
    },
    layers: o.layers.map((l, i) => ({ ...l, sourceIndex: i })),
    weights,
  };
}
