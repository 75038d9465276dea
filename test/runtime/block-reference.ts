// Test-only float64 forward of ONE decoder block (llama + gpt2, from the HF definitions), returning
// the block output and each linear layer's input, plus model surgery helpers used by the
// calibration-runner tests. Imports nothing from graph/ or runtime/.

import { gpt2Names, llamaNames, type LayerSpec, type ModelSpec, type WeightTensor } from '../../src/model/model-spec';

export type Rows = Float64Array[];

function w(spec: ModelSpec, name: string): WeightTensor {
  const t = spec.weights.get(name);
  if (!t) throw new Error(`block-reference: missing ${name}`);
  return t;
}

function lin(x: Rows, W: WeightTensor, bias?: WeightTensor): Rows {
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

export function rmsNorm(x: Rows, g: WeightTensor, eps: number): Rows {
  return x.map((r) => {
    const inv = 1 / Math.sqrt(r.reduce((s, v) => s + v * v, 0) / r.length + eps);
    return r.map((v, j) => v * inv * g.data[j]);
  });
}

export function layerNorm(x: Rows, g: WeightTensor, b: WeightTensor, eps: number): Rows {
  return x.map((r) => {
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const vr = r.reduce((s, v) => s + (v - mean) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mean) / Math.sqrt(vr + eps)) * g.data[j] + b.data[j]);
  });
}

function rope(x: Rows, heads: number, hd: number, theta: number): Rows {
  const half = hd / 2;
  return x.map((r, t) => {
    const y = new Float64Array(r.length);
    for (let h = 0; h < heads; h++)
      for (let j = 0; j < hd; j++) {
        const f = t / theta ** ((2 * (j % half)) / hd);
        const rot = j < half ? -r[h * hd + j + half] : r[h * hd + j - half];
        y[h * hd + j] = r[h * hd + j] * Math.cos(f) + rot * Math.sin(f);
      }
    return y;
  });
}

function attend(q: Rows, k: Rows, v: Rows, l: LayerSpec): Rows {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = l;
  return q.map((qr, t) => {
    const out = new Float64Array(H * hd);
    for (let h = 0; h < H; h++) {
      const kv = Math.floor(h / (H / KV));
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

const add = (a: Rows, b: Rows): Rows => a.map((r, t) => r.map((v, j) => v + b[t][j]));

export interface BlockReference {
  output: Rows;
  /** Inputs of the attention projections, o_proj, gate/up (c_fc), down (mlp c_proj). */
  inputs: { attn_in: Rows; o_in: Rows; mlp_in: Rows; down_in: Rows };
}

/** Block i of `spec` on one window's hidden states x [T, d]. */
export function referenceBlock(spec: ModelSpec, i: number, x: Rows): BlockReference {
  const c = spec.config;
  const l = spec.layers[i];
  if (spec.family === 'llama') {
    const n = llamaNames;
    const opt = (name: string) => spec.weights.get(name);
    const a = rmsNorm(x, w(spec, n.inputNorm(i)), c.normEps);
    const q = rope(lin(a, w(spec, n.q(i)), opt(n.qBias(i))), l.numHeads, l.headDim, c.ropeTheta);
    const k = rope(lin(a, w(spec, n.k(i)), opt(n.kBias(i))), l.numKvHeads, l.headDim, c.ropeTheta);
    const o = attend(q, k, lin(a, w(spec, n.v(i)), opt(n.vBias(i))), l);
    const x1 = add(x, lin(o, w(spec, n.o(i))));
    const m = rmsNorm(x1, w(spec, n.postAttnNorm(i)), c.normEps);
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
export function referenceHead(spec: ModelSpec, x: Rows): Rows {
  const c = spec.config;
  const normed =
    spec.family === 'llama'
      ? rmsNorm(x, w(spec, llamaNames.finalNorm), c.normEps)
      : layerNorm(x, w(spec, gpt2Names.finalNormWeight), w(spec, gpt2Names.finalNormBias), c.normEps);
  const head = c.tieWordEmbeddings ? w(spec, spec.family === 'llama' ? llamaNames.embed : gpt2Names.embed) : w(spec, 'lm_head.weight');
  return lin(normed, head);
}

/** The spec with block i physically removed: later layer names re-indexed, as block pruning does. */
export function withoutBlock(spec: ModelSpec, i: number): ModelSpec {
  const weights = new Map<string, WeightTensor>();
  for (const [name, t] of spec.weights) {
    const m = /^(model\.layers|transformer\.h)\.(\d+)\.(.*)$/.exec(name);
    if (!m) weights.set(name, t);
    else if (Number(m[2]) !== i) weights.set(`${m[1]}.${Number(m[2]) > i ? Number(m[2]) - 1 : m[2]}.${m[3]}`, t);
  }
  return { ...spec, layers: spec.layers.filter((_, j) => j !== i), weights };
}

/** A copy of the spec whose block i adds nothing to the residual stream (o/down weights and biases zeroed). */
export function withSilentBlock(spec: ModelSpec, i: number): ModelSpec {
  const zeroed = spec.family === 'llama' ? [llamaNames.o(i), llamaNames.down(i)] : [gpt2Names.o(i), gpt2Names.oBias(i), gpt2Names.proj(i), gpt2Names.projBias(i)];
  const weights = new Map(spec.weights);
  for (const name of zeroed) weights.set(name, { shape: w(spec, name).shape, data: new Float32Array(w(spec, name).data.length) });
  return { ...spec, weights };
}

/** Rows of window r of a row-major [N, T, d] array, as float64. */
export function windowRows(data: Float32Array, r: number, T: number, d: number): Rows {
  return Array.from({ length: T }, (_, t) => Float64Array.from(data.subarray((r * T + t) * d, (r * T + t + 1) * d)));
}
