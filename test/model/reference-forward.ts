// A plain TypeScript Llama forward pass over a ModelSpec (tests only): the oracle side that lets
// onnxruntime-web's logits check an import. Full causal attention over one short sequence.

import { getWeight, llamaNames as n, type ModelSpec } from '../../src/model/model-spec';

function linear(x: Float32Array, w: Float32Array, outDim: number, inDim: number, bias?: Float32Array): Float32Array {
  const y = new Float32Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = bias ? bias[o] : 0;
    for (let i = 0; i < inDim; i++) s += w[o * inDim + i] * x[i];
    y[o] = s;
  }
  return y;
}

function rmsNorm(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

function rope(v: Float32Array, heads: number, d: number, pos: number, theta: number): void {
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < d / 2; j++) {
      const angle = pos * theta ** ((-2 * j) / d);
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      const a = v[h * d + j];
      const b = v[h * d + j + d / 2];
      v[h * d + j] = a * c - b * s;
      v[h * d + j + d / 2] = b * c + a * s;
    }
  }
}

/** Logits [tokens.length, vocab] flattened. */
export function llamaLogits(spec: ModelSpec, tokens: number[]): Float32Array {
  const { hiddenSize: h, vocabSize: vocab, normEps: eps, ropeTheta: theta } = spec.config;
  const w = (name: string) => getWeight(spec, name).data;
  const embed = w(n.embed);
  let xs = tokens.map((t) => embed.slice(t * h, (t + 1) * h));
  spec.layers.forEach((l, i) => {
    const d = l.headDim;
    const qDim = l.numHeads * d;
    const kvDim = l.numKvHeads * d;
    const normed = xs.map((x) => rmsNorm(x, w(n.inputNorm(i)), eps));
    const q = normed.map((x, p) => { const v = linear(x, w(n.q(i)), qDim, h); rope(v, l.numHeads, d, p, theta); return v; });
    const k = normed.map((x, p) => { const v = linear(x, w(n.k(i)), kvDim, h); rope(v, l.numKvHeads, d, p, theta); return v; });
    const v = normed.map((x) => linear(x, w(n.v(i)), kvDim, h));
    const group = l.numHeads / l.numKvHeads;
    xs = xs.map((x, p) => {
      const attn = new Float32Array(qDim);
      for (let hq = 0; hq < l.numHeads; hq++) {
        const hk = Math.floor(hq / group);
        const scores = Array.from({ length: p + 1 }, (_, t) => {
          let s = 0;
          for (let j = 0; j < d; j++) s += q[p][hq * d + j] * k[t][hk * d + j];
          return s / Math.sqrt(d);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let t = 0; t <= p; t++) for (let j = 0; j < d; j++) attn[hq * d + j] += (e[t] / z) * v[t][hk * d + j];
      }
      const o = linear(attn, w(n.o(i)), h, qDim);
      const x1 = x.map((val, j) => val + o[j]);
      const y = rmsNorm(x1, w(n.postAttnNorm(i)), eps);
      const g = linear(y, w(n.gate(i)), l.intermediateSize, h);
      const u = linear(y, w(n.up(i)), l.intermediateSize, h);
      const act = g.map((gv, j) => (gv / (1 + Math.exp(-gv))) * u[j]);
      const down = linear(act, w(n.down(i)), h, l.intermediateSize);
      return x1.map((val, j) => val + down[j]);
    });
  });
  const head = spec.config.tieWordEmbeddings ? embed : w(n.lmHead);
  const out = new Float32Array(tokens.length * vocab);
  xs.forEach((x, p) => out.set(linear(rmsNorm(x, w(n.finalNorm), eps), head, vocab, h), p * vocab));
  return out;
}
