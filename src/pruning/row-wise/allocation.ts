// Sparsity allocation schedules: OWL's outlier-weighted block sparsities and NeuroAL's block ramp,
// row redistribution and λ grids (methods.md §2.5, §3.3, §3.4). Pure numbers in, numbers out.

/** OWL outlier ratio of one block: 100·#{A > M·mean(A)} / #A over all its linears' Wanda scores. */
export function outlierRatio(scoreArrays: ArrayLike<number>[], m: number): number {
  let sum = 0;
  let n = 0;
  for (const a of scoreArrays) for (let i = 0; i < a.length; i++) sum += a[i];
  for (const a of scoreArrays) n += a.length;
  if (n === 0) return 0;
  const threshold = (sum / n) * m;
  let count = 0;
  for (const a of scoreArrays) for (let i = 0; i < a.length; i++) if (a[i] > threshold) count++;
  return (100 * count) / n;
}

/**
 * min-max scale `values` to [0, 2λ], centre on density 1 − s, return sparsity 1 − density.
 * Equal values (max = min, a 0/0 in the code) give the uniform s [lab choice].
 */
function centredSparsities(values: ArrayLike<number>, sparsity: number, lambda: number): number[] {
  const v = Array.from(values);
  const min = Math.min(...v);
  const max = Math.max(...v);
  if (!(max > min)) return v.map(() => sparsity);
  const density = v.map((x) => ((x - min) / (max - min)) * lambda * 2);
  const mean = density.reduce((a, b) => a + b, 0) / density.length;
  return density.map((d) => 1 - (d - mean + (1 - sparsity)));
}

/**
 * OWL: more outliers → lower sparsity; mean exactly s; max − min = 2λ. Centred on the mean (as the
 * official code), not the midrange: in [s−λ, s+λ] only when the ratios are spread evenly; skewed
 * ratios (one block far from the others) reach up to s ± 2λ. ≤ 0 clipped to 0.01, ≥ 1 to 0.99.
 */
export function owlBlockSparsities(outlierRatios: number[], sparsity: number, lambda: number): number[] {
  return centredSparsities(outlierRatios, sparsity, lambda).map(clipLikeCode);
}

/** The OWL/NeuroAL code's clip of a block sparsity: ≤ 0 → 0.01, ≥ 1 → 0.99, else unchanged. */
function clipLikeCode(s: number): number {
  return s <= 0 ? 0.01 : s >= 1 ? 0.99 : s;
}

/** NeuroAL block grid: 0.25 only when s < 0.8; λ = 0 (uniform) only when asked (not in the code). */
export function neuroalBlockGrid(sparsity: number, includeUniform = false): number[] {
  const grid = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2];
  if (sparsity < 0.8) grid.push(0.25);
  return includeUniform ? [0, ...grid] : grid;
}

export const NEUROAL_ROW_GRID: readonly number[] = [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2, 0.25];

/**
 * NeuroAL block step: values 1..L, min-max to [0, 2λ], centred on 1 − s, sorted descending so block
 * 0 gets the highest density: a linear ramp s − λ (first) → s + λ (last); ≤ 0 → 0.01, ≥ 1 → 0.99.
 * λ = 0 gives uniform s.
 */
export function neuroalBlockSparsities(blocks: number, sparsity: number, lambda: number): number[] {
  if (blocks === 1 || lambda === 0) return Array.from({ length: blocks }, () => sparsity);
  const densities = Array.from({ length: blocks }, (_, i) => ((i / (blocks - 1)) * lambda * 2));
  const mean = densities.reduce((a, b) => a + b, 0) / blocks;
  const centred = densities.map((d) => d - mean + (1 - sparsity)).sort((a, b) => b - a);
  return centred.map((d) => clipLikeCode(1 - d));
}

/**
 * NeuroAL row step for one layer: alignment a_r (dense − sparse activation norm of the channel the
 * row feeds), g = min-max(a)·2λ, s_r = s_layer − (g_r − mean g) (= 1 − (g − mean g + 1 − s_layer)),
 * clipped to [0.01, 0.99]. Rows that lost more activation keep more weights. Returns null when the
 * code keeps the layer's value (total alignment 0, or all rows equal).
 */
export function neuroalRowSparsities(alignment: ArrayLike<number>, layerSparsity: number, lambda: number, clip = true): number[] | null {
  const a = Array.from(alignment);
  const total = a.reduce((x, y) => x + y, 0);
  const min = Math.min(...a);
  const max = Math.max(...a);
  if (total === 0 || !(max > min)) return null;
  const g = a.map((x) => ((x - min) / (max - min)) * lambda * 2);
  const mean = g.reduce((x, y) => x + y, 0) / g.length;
  return g.map((x) => {
    const s = layerSparsity - (x - mean);
    return clip ? Math.min(0.99, Math.max(0.01, s)) : s;
  });
}
