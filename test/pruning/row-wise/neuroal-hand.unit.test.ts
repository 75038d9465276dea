// NeuroAL by hand (methods.md §3.2–3.4) on the linear-chain runner: the neuron-alignment objective
// recomputed here in float64 for every block-grid λ (dense and sparse runs of each block on the
// SPARSE stream, m = ‖a_d/Σa_d − a_s/Σa_s‖₂ / d_in, a = sqrt(Σx²/windows)), hence the known argmin;
// and the row rounding ('official' int rules vs 'cumulative').
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight, type ModelSpec } from '../../../src/model/model-spec';
import { neuroal, neuroalSearch } from '../../../src/pruning/methods/neuroal';
import type { TraceEntry } from '../../../src/pruning/plan';
import { cumulativeRowZeros, officialRowZeros } from '../../../src/pruning/row-wise/masks';
import { chainBlock, chainEmbed, chainSpec, chainWindows, linearChainRunner, sqNormOf, type Rows } from '../helpers/linear-chain-runner';

type Grid = Extract<TraceEntry, { kind: 'neuroal-grid' }>;
const grid = (trace: TraceEntry[], stage: 'block' | 'row') => trace.filter((t): t is Grid => t.kind === 'neuroal-grid' && t.stage === stage);

/** Ramp by the §3.3 formula: v = 1..L, (v − 1)/(L − 1)·2λ, centred on 1 − s, descending density. */
function ramp(L: number, s: number, lambda: number): number[] {
  const d = Array.from({ length: L }, (_, i) => (i / (L - 1)) * 2 * lambda);
  const mean = d.reduce((a, b) => a + b, 0) / L;
  return d.map((v) => v - mean + (1 - s)).sort((a, b) => b - a).map((v) => 1 - v);
}

/** Wanda row masks: zero the k lowest |W|·sqrt(Σx²/n) per row (stable). */
function wandaRowPrune(w: Float32Array, rows: number, cols: number, sq: Float64Array, n: number, zeros: number[]): Float32Array {
  const out = Float32Array.from(w);
  for (let r = 0; r < rows; r++) {
    const k = zeros[r];
    const score = (j: number) => Math.abs(w[r * cols + j]) * Math.sqrt(sq[j] / n);
    const idx = Array.from({ length: cols }, (_, j) => j).sort((a, b) => score(a) - score(b) || a - b);
    for (const j of idx.slice(0, k)) out[r * cols + j] = 0;
  }
  return out;
}

const f32 = (rows: Rows) => rows.map((r) => r.map(Math.fround)); // the runner's hidden states are float32

/** Zero count per row of one layer. */
type ZerosFor = (block: number, name: string, rows: number, cols: number) => number[];

/** The code's block step: int(d_in·s_ℓ) zeros in every row. */
const blockStep = (s: number[]): ZerosFor => (b, _n, rows, cols) => new Array(rows).fill(Math.floor(cols * s[b]));

/** The objective, and the signed alignment a_dense − a_sparse per layer input. */
function handPass(spec: ModelSpec, windows: Int32Array[], zerosFor: ZerosFor): { objective: number; alignment: Map<string, Float64Array> } {
  const alignment = new Map<string, Float64Array>();
  const n = windows.length;
  let x = f32(chainEmbed(spec, windows));
  let total = 0;
  for (let b = 0; b < spec.layers.length; b++) {
    const dense = chainBlock(spec, b, x);
    const weights = new Map(spec.weights);
    for (const name of blockLinearNames(spec, b)) {
      const w = getWeight(spec, name);
      const [rows, cols] = w.shape;
      weights.set(name, { shape: w.shape, data: wandaRowPrune(w.data, rows, cols, sqNormOf(dense.inputs.get(name)!), n, zerosFor(b, name, rows, cols)) });
    }
    const sparse = chainBlock({ ...spec, weights }, b, x);
    for (const name of blockLinearNames(spec, b)) {
      const ad = sqNormOf(dense.inputs.get(name)!).map((v) => Math.sqrt(v / n));
      const as = sqNormOf(sparse.inputs.get(name)!).map((v) => Math.sqrt(v / n));
      const sd = ad.reduce((a, c) => a + c, 0), ss = as.reduce((a, c) => a + c, 0);
      let sq = 0;
      for (let j = 0; j < ad.length; j++) sq += (ad[j] / sd - as[j] / ss) ** 2;
      total += Math.sqrt(sq) / ad.length;
      alignment.set(name, ad.map((v, j) => v - as[j]));
    }
    x = f32(sparse.output);
  }
  return { objective: total, alignment };
}
const handObjective = (spec: ModelSpec, windows: Int32Array[], s: number[]) => handPass(spec, windows, blockStep(s)).objective;

describe('NeuroAL objective by hand (linear chain, Wanda base)', () => {
  const spec = chainSpec(4, 31, 8, 20);
  const windows = chainWindows(3, 6, 7);
  const s = 0.5;

  it('every block-grid point: objective = the float64 recomputation; the chosen λ is the hand argmin', async () => {
    const search = await neuroalSearch({ spec, runner: linearChainRunner(), windows }, { sparsity: s, base: 'wanda', searchWindows: 8, includeUniform: false, rounding: 'official' }, 1);
    const blocks = grid(search.trace, 'block');
    expect(blocks.length).toBe(14);
    const want = blocks.map((e) => handObjective(spec, windows, ramp(4, s, e.lambda)));
    blocks.forEach((e, i) => expect(Math.abs(e.objective - want[i])).toBeLessThanOrEqual(1e-9 + 1e-6 * want[i]));
    const best = want.indexOf(Math.min(...want));
    expect(best).toBeGreaterThan(0); // an interior choice (λ = 0.06 here), so "take the first" would fail
    expect(search.blockLambda).toBe(blocks[best].lambda);
    expect(blocks[best].chosen).toBe(true);
  });
});

/** §3.4 sources: q,k,v ← o input; o ← gate input; gate, up ← down input; down ← next block's q input. */
function source(names: string[], next: string[] | null, name: string): string | null {
  const [q, k, v, o, gate, up, down] = names;
  if (!next) return null;
  if ([q, k, v].includes(name)) return o;
  if (name === o) return gate;
  if (name === gate || name === up) return down;
  if (name === down) return next[0];
  return null;
}

/** Row sparsities: g = min-max(a)·2λ, s_r = clip(1 − (g − mean g + 1 − s_ℓ), 0.01, 0.99). */
function rowTargets(a: Float64Array, sLayer: number, lambda: number): number[] {
  const min = Math.min(...a), max = Math.max(...a);
  const g = Array.from(a, (v) => ((v - min) / (max - min)) * 2 * lambda);
  const mean = g.reduce((x, y) => x + y, 0) / g.length;
  return g.map((v) => Math.min(0.99, Math.max(0.01, 1 - (v - mean + 1 - sLayer))));
}

describe('NeuroAL row step by hand', () => {
  const spec = chainSpec(3, 41, 8, 16);
  const windows = chainWindows(3, 6, 9);
  const s = 0.5;

  it.each(['official', 'cumulative'] as const)('%s rounding: every row-grid objective = the float64 recomputation', async (rounding) => {
    const search = await neuroalSearch({ spec, runner: linearChainRunner(), windows }, { sparsity: s, base: 'wanda', searchWindows: 8, includeUniform: false, rounding }, 1);
    const sBlock = ramp(3, s, search.blockLambda);
    const roundBlock: ZerosFor = rounding === 'official' ? blockStep(sBlock) : (b, _n, rows, cols) => Array.from(cumulativeRowZeros(cols, new Array(rows).fill(sBlock[b])));
    const { alignment } = handPass(spec, windows, roundBlock);
    const rows = grid(search.trace, 'row');
    expect(rows.length).toBe(15);
    let changed = 0;
    for (const e of rows) {
      const zerosFor: ZerosFor = (b, name, nRows, cols) => {
        const names = blockLinearNames(spec, b);
        const src = source(names, b + 1 < 3 ? blockLinearNames(spec, b + 1) : null, name);
        const a = src ? alignment.get(src)! : null;
        const keep = !a || a.length !== nRows || a.reduce((x, y) => x + y, 0) === 0 || Math.max(...a) === Math.min(...a);
        const target = keep ? new Array(nRows).fill(sBlock[b]) : rowTargets(a, sBlock[b], e.lambda);
        if (!keep && e.lambda > 0) changed++;
        // official: keep int((1 − s_r)·d_in) with a float32 density; cumulative: rounded running sum.
        return rounding === 'official'
          ? target.map((t) => cols - Math.trunc(Math.fround(Math.fround(1 - t) * cols)))
          : Array.from(cumulativeRowZeros(cols, target));
      };
      const want = handPass(spec, windows, zerosFor).objective;
      expect(Math.abs(e.objective - want), `λ_row = ${e.lambda}`).toBeLessThanOrEqual(1e-9 + 1e-6 * want);
    }
    expect(changed).toBeGreaterThan(0); // some layers really get per-row targets
  });
});

describe('NeuroAL row rounding', () => {
  it('official = d_in − int((1 − s_r)·d_in) per row; cumulative = rounded running sum (exact total)', () => {
    const targets = [0.25, 0.25, 0.25, 0.25];
    expect(Array.from(officialRowZeros(10, targets))).toEqual([3, 3, 3, 3]); // keeps int(7.5) = 7
    expect(Array.from(cumulativeRowZeros(10, targets))).toEqual([3, 2, 3, 2]); // 2.5, 5, 7.5, 10
    // The block step of the code (int(d_in·s) zeros) rounds the other way: int(2.5) = 2.
    expect(Math.floor(10 * 0.25)).toBe(2);
    // float32 density as torch: 1 − 0.3 = 0.7 → 0.69999999 in float32, ×10 = 7 after rounding → 3 zeros.
    expect(Array.from(officialRowZeros(10, [0.3, 0.01, 0.99]))).toEqual([3, 1, 10]);
  });

  it('neuroal.run: default is official and recorded in the plan; the two roundings give different masks', async () => {
    const spec = chainSpec(3, 41, 8, 16);
    const windows = chainWindows(3, 6, 9);
    const official = await neuroal.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 0.45 });
    const cumulative = await neuroal.run({ spec, runner: linearChainRunner(), windows }, { sparsity: 0.45, rounding: 'cumulative' });
    expect(official.params.rounding).toBe('official');
    expect(cumulative.params.rounding).toBe('cumulative');
    const names = Object.keys(official.masks);
    expect(names.length).toBe(21);
    expect(names.some((n) => official.masks[n].some((m, i) => m !== cumulative.masks[n][i]))).toBe(true);
    await expect(neuroal.run({ spec, runner: linearChainRunner(), windows }, { rounding: 'nearest' })).rejects.toThrow(/rounding must be one of official, cumulative/);
  });
});
