// A pure test double for CalibrationRunner: a "linear chain" block with the llama layer names and
// exactly known semantics, so tests can recompute every statistic by hand in float64 without the
// real model. Block ℓ on X [T, d] (no norms, no attention mixing, numKvHeads = numHeads):
//   q/k/v input a = X;  o input = v = a·Wvᵀ;  x1 = X + v·Woᵀ;  gate/up input = x1;
//   down input = (x1·Wgᵀ) ⊙ (x1·Wuᵀ);  output = x1 + down_in·Wdᵀ.
// Embedding: window w, token t → row of the embedding matrix for token id windows[w][t].
import type { ModelSpec, WeightTensor } from '../../../src/model/model-spec';
import { llamaNames } from '../../../src/model/model-spec';
import type { BlockRun, CalibrationRunner, HiddenStates, LinearInputStats, StatsKind } from '../../../src/pruning/calibration';
import { tinySpec } from '../../oracles/reference-forward';

export type Rows = Float64Array[];

/** x[T, in] · Wᵀ, W [out, in]. */
export function matmulT(x: Rows, w: WeightTensor): Rows {
  const [out, inn] = w.shape;
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < inn; i++) s += row[i] * w.data[o * inn + i];
      y[o] = s;
    }
    return y;
  });
}

export interface ChainBlock {
  output: Rows;
  /** Input rows of each linear, by weight name. */
  inputs: Map<string, Rows>;
}

export function chainBlock(spec: ModelSpec, block: number, x: Rows): ChainBlock {
  const n = llamaNames;
  const w = (name: string) => spec.weights.get(name)!;
  const v = matmulT(x, w(n.v(block)));
  const o = matmulT(v, w(n.o(block)));
  const x1 = x.map((r, t) => r.map((val, j) => val + o[t][j]));
  const g = matmulT(x1, w(n.gate(block)));
  const u = matmulT(x1, w(n.up(block)));
  const act = g.map((r, t) => r.map((val, j) => val * u[t][j]));
  const d = matmulT(act, w(n.down(block)));
  const inputs = new Map<string, Rows>([
    [n.q(block), x], [n.k(block), x], [n.v(block), x], [n.o(block), v],
    [n.gate(block), x1], [n.up(block), x1], [n.down(block), act],
  ]);
  return { output: x1.map((r, t) => r.map((val, j) => val + d[t][j])), inputs };
}

/** Σ_t x_tj² per channel, float64. */
export function sqNormOf(rows: Rows): Float64Array {
  const out = new Float64Array(rows[0].length);
  for (const r of rows) for (let j = 0; j < r.length; j++) out[j] += r[j] * r[j];
  return out;
}

function toRows(h: HiddenStates): Rows {
  const rows: Rows = [];
  for (let t = 0; t < h.windows * h.tokens; t++) rows.push(Float64Array.from(h.data.subarray(t * h.channels, (t + 1) * h.channels)));
  return rows;
}

function toHidden(rows: Rows, windows: number, tokens: number): HiddenStates {
  const channels = rows[0].length;
  const data = new Float32Array(rows.length * channels);
  rows.forEach((r, t) => data.set(r, t * channels));
  return { data, windows, tokens, channels };
}

export function chainEmbed(spec: ModelSpec, windows: Int32Array[]): Rows {
  const e = spec.weights.get(llamaNames.embed)!;
  const d = e.shape[1];
  return windows.flatMap((w) => Array.from(w, (id) => Float64Array.from(e.data.subarray(id * d, (id + 1) * d))));
}

export interface ChainRunner extends CalibrationRunner {
  /** Every runBlock call: block, stats kind, and the statistics returned. */
  calls: { block: number; stats: StatsKind; inputs: Map<string, LinearInputStats> }[];
}

export function linearChainRunner(): ChainRunner {
  const calls: ChainRunner['calls'] = [];
  return {
    calls,
    sessionsCreated: 0,
    forwardPasses: 0,
    forwardMs: 0,
    async embed(spec, windows) {
      return toHidden(chainEmbed(spec, windows), windows.length, windows[0].length);
    },
    async runBlock(spec: ModelSpec, block: number, hidden: HiddenStates, stats: StatsKind): Promise<BlockRun> {
      // Hidden states travel as float32 like the real runner; the block itself runs in float64.
      const run = chainBlock(spec, block, toRows(hidden));
      const inputs = new Map<string, LinearInputStats>();
      if (stats !== 'none') {
        for (const [name, rows] of run.inputs) {
          const cols = rows[0].length;
          let gram: Float64Array | null = null;
          if (stats === 'gram') {
            gram = new Float64Array(cols * cols);
            for (const r of rows) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) gram[i * cols + j] += r[i] * r[j];
          }
          inputs.set(name, { sqNorm: sqNormOf(rows), gram, tokens: rows.length });
        }
      }
      calls.push({ block, stats, inputs });
      return { output: toHidden(run.output, hidden.windows, hidden.tokens), inputs };
    },
    async gatedNll() {
      throw new Error('linear-chain runner: gatedNll is not modelled');
    },
    async blockInfluence() {
      throw new Error('linear-chain runner: blockInfluence is not modelled');
    },
    async dispose() {},
  };
}

/** A runner whose block runs return no statistics for the linear nameOf(block): to test the "no statistics" error. */
export function withoutStatsFor(inner: CalibrationRunner, nameOf: (block: number) => string): CalibrationRunner {
  return {
    ...inner,
    async runBlock(spec, block, hidden, kind) {
      const run = await inner.runBlock(spec, block, hidden, kind);
      run.inputs.delete(nameOf(block));
      return run;
    },
  };
}

/** A tiny llama-named spec for the chain: hidden 8, 2 heads × 4 (no GQA), FFN 12, 3 blocks, vocab 40. */
export function chainSpec(blocks = 3, seed = 11, hidden = 8, ffn = 12): ModelSpec {
  const layer = { numHeads: 2, numKvHeads: 2, headDim: hidden / 2, intermediateSize: ffn };
  return tinySpec({ family: 'llama', layers: Array.from({ length: blocks }, () => layer), hidden, seed });
}

/** Deterministic token windows over a vocabulary of 40. */
export function chainWindows(count: number, tokens: number, seed = 1): Int32Array[] {
  let x = seed;
  return Array.from({ length: count }, () => Int32Array.from({ length: tokens }, () => (x = (x * 1103515245 + 12345) % 2147483648) % 40));
}
