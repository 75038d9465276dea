// Ordinary least squares for small problems (a handful of columns, tens of rows), in float64: the
// coefficients, their standard errors and 95% confidence intervals (Student's t), R², and which
// columns had to be dropped because they lie in the span of the others (a constant regressor beside an
// intercept, one recovery budget for every point). Pure.

export interface OlsColumn {
  name: string;
  values: number[];
}

export interface OlsCoefficient {
  name: string;
  /** null when the column was dropped (not identified by these points). */
  value: number | null;
  stderr: number | null;
  /** 95% confidence interval (Student's t with n − p degrees of freedom); null without residual degrees of freedom. */
  ci95: [number, number] | null;
}

export interface OlsFit {
  coefficients: OlsCoefficient[];
  /** Columns left out, with the reason. */
  dropped: { name: string; reason: string }[];
  /** 1 − RSS / Σ(y − ȳ)² (centred, also for fits without an intercept, so it can be negative). */
  r2: number;
  /** R² adjusted for the number of fitted coefficients (null when n − p ≤ 0). */
  adjustedR2: number | null;
  rss: number;
  n: number;
  /** Fitted coefficients (columns kept). */
  p: number;
  residuals: number[];
}

/** Two-sided 95% quantile of Student's t with `dof` degrees of freedom (exact for 1 and 2, Cornish–Fisher beyond). */
export function tQuantile975(dof: number): number {
  if (dof === 1) return 12.706204736174705;
  if (dof === 2) return 4.302652729749464;
  const z = 1.959963984540054;
  const [z3, z5, z7] = [z ** 3, z ** 5, z ** 7];
  return z + (z3 + z) / (4 * dof) + (5 * z5 + 16 * z3 + 3 * z) / (96 * dof ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * dof ** 3);
}

/** Solves the symmetric positive definite system A x = b (Cholesky); also returns A⁻¹. */
function choleskyInverse(a: number[][]): number[][] {
  const p = a.length;
  const l = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  // Invert L, then A⁻¹ = L⁻ᵀ L⁻¹.
  const li = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    li[i][i] = 1 / l[i][i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i][k] * li[k][j];
      li[i][j] = s / l[i][i];
    }
  }
  return Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => {
    let s = 0;
    for (let k = Math.max(i, j); k < p; k++) s += li[k][i] * li[k][j];
    return s;
  }));
}

/**
 * y ≈ Σ βⱼ xⱼ over `columns` (include a column of ones for an intercept). A column whose part outside
 * the span of the columns before it is below 1e-9 of its norm is dropped (reported, coefficient null).
 */
export function ols(y: number[], columns: OlsColumn[]): OlsFit {
  const n = y.length;
  for (const c of columns) if (c.values.length !== n) throw new Error(`column ${c.name} has ${c.values.length} values for ${n} observations`);
  if (y.some((v) => !Number.isFinite(v)) || columns.some((c) => c.values.some((v) => !Number.isFinite(v)))) throw new Error('least squares: every value must be finite');
  // Gram–Schmidt to decide which columns are identified.
  const basis: number[][] = [];
  const kept: OlsColumn[] = [];
  const dropped: { name: string; reason: string }[] = [];
  for (const c of columns) {
    const r = [...c.values];
    for (const q of basis) {
      const dot = q.reduce((s, qi, i) => s + qi * r[i], 0);
      for (let i = 0; i < n; i++) r[i] -= dot * q[i];
    }
    const norm = Math.hypot(...r);
    const size = Math.hypot(...c.values);
    if (size === 0 || norm <= 1e-9 * size || kept.length >= n) {
      dropped.push({ name: c.name, reason: size === 0 ? 'all zero' : kept.length >= n ? 'no more points than coefficients' : 'a combination of the other columns for these points (not identified)' });
      continue;
    }
    basis.push(r.map((v) => v / norm));
    kept.push(c);
  }
  const p = kept.length;
  const xtx = kept.map((a) => kept.map((b) => a.values.reduce((s, v, i) => s + v * b.values[i], 0)));
  const xty = kept.map((a) => a.values.reduce((s, v, i) => s + v * y[i], 0));
  const inverse = p > 0 ? choleskyInverse(xtx) : [];
  const beta = inverse.map((row) => row.reduce((s, v, j) => s + v * xty[j], 0));
  const residuals = y.map((yi, i) => yi - kept.reduce((s, c, j) => s + beta[j] * c.values[i], 0));
  const rss = residuals.reduce((s, r) => s + r * r, 0);
  const mean = y.reduce((s, v) => s + v, 0) / n;
  const tss = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  const dof = n - p;
  const sigma2 = dof > 0 ? rss / dof : null;
  const t = dof > 0 ? tQuantile975(dof) : null;
  const byName = new Map(kept.map((c, j) => [c.name, j]));
  return {
    coefficients: columns.map((c) => {
      const j = byName.get(c.name);
      if (j === undefined) return { name: c.name, value: null, stderr: null, ci95: null };
      const stderr = sigma2 === null ? null : Math.sqrt(Math.max(0, sigma2 * inverse[j][j]));
      return { name: c.name, value: beta[j], stderr, ci95: stderr === null || t === null ? null : [beta[j] - t * stderr, beta[j] + t * stderr] };
    }),
    dropped,
    r2: tss > 0 ? 1 - rss / tss : rss === 0 ? 1 : 0,
    adjustedR2: dof > 0 && tss > 0 ? 1 - (rss / dof) / (tss / (n - 1)) : null,
    rss,
    n,
    p,
    residuals,
  };
}
