// The compression law of methods.md §7: L(L₀, r, D) = L₀^α · (1 + r)^β · (1 + 1/(D + 1))^γ, fitted by
// least squares in log space, as the paper's no-intercept form and with an intercept; and the
// "quadratic in r" claim tested against a line (both fitted, both reported). D is the recovery
// fine-tuning budget in millions of tokens (0 = none), the lab's reading of the paper's unit. Pure.

import { ols, type OlsCoefficient, type OlsFit } from './least-squares';

export interface LawPoint {
  /** Compression ratio r in [0, 1). */
  ratio: number;
  /** Recovery fine-tuning tokens (D = tokens / 1e6). */
  rftTokens: number;
  /** The metric at this point (e.g. test cross-entropy loss), > 0. */
  value: number;
  /** The metric of the uncompressed model this point came from, > 0. */
  base: number;
}

export interface LawFit {
  form: 'no-intercept' | 'intercept';
  /** α (log L₀), β (log(1 + r)), γ (log(1 + 1/(D + 1))) and, with an intercept, c; null where not identified. */
  coefficients: OlsCoefficient[];
  dropped: OlsFit['dropped'];
  /** R² in log space (centred). */
  r2: number;
  adjustedR2: number | null;
  n: number;
  /** The fit's value at each point, in the metric's own units. */
  predicted: number[];
}

export interface PolynomialFit {
  degree: 1 | 2;
  /** Coefficients of 1, r (and r²). */
  coefficients: OlsCoefficient[];
  r2: number;
  adjustedR2: number | null;
}

export interface LawReport {
  noIntercept: LawFit;
  intercept: LawFit;
  /** The metric against r at D = 0 (points without recovery): a line and a quadratic. */
  linear: PolynomialFit | null;
  quadratic: PolynomialFit | null;
  /**
   * 'quadratic' when the r² coefficient's 95% interval excludes 0 (the curvature is real for these
   * points), 'linear' otherwise; null when the quadratic could not be fitted with residual freedom.
   */
  better: 'linear' | 'quadratic' | null;
  /** Plain words on the fit's quality, e.g. "poor fit (R² 0.41)". */
  verdict: string;
}

const rftUnits = (tokens: number) => tokens / 1e6;
const budgetTerm = (tokens: number) => Math.log(1 + 1 / (rftUnits(tokens) + 1));

function checkPoints(points: LawPoint[]): void {
  for (const [i, p] of points.entries()) {
    if (!(p.ratio >= 0 && p.ratio < 1)) throw new Error(`point ${i + 1}: ratio must be in [0, 1), got ${p.ratio}`);
    if (!(p.rftTokens >= 0)) throw new Error(`point ${i + 1}: rftTokens must be ≥ 0, got ${p.rftTokens}`);
    if (!(p.value > 0) || !(p.base > 0)) throw new Error(`point ${i + 1}: the metric and its base must be positive (log space), got ${p.value} and ${p.base}`);
  }
}

/** The fitted law's value at (base, r, D); unidentified coefficients count as 0. */
export function predictLaw(fit: Pick<LawFit, 'coefficients'>, at: { base: number; ratio: number; rftTokens: number }): number {
  const coef = (name: string) => fit.coefficients.find((c) => c.name === name)?.value ?? 0;
  return Math.exp(coef('c') + coef('alpha') * Math.log(at.base) + coef('beta') * Math.log(1 + at.ratio) + coef('gamma') * budgetTerm(at.rftTokens));
}

/** log L = α log L₀ + β log(1 + r) + γ log(1 + 1/(D + 1)) [+ c]. */
export function fitCompressionLaw(points: LawPoint[], form: LawFit['form']): LawFit {
  checkPoints(points);
  const columns = [
    ...(form === 'intercept' ? [{ name: 'c', values: points.map(() => 1) }] : []),
    { name: 'alpha', values: points.map((p) => Math.log(p.base)) },
    { name: 'beta', values: points.map((p) => Math.log(1 + p.ratio)) },
    { name: 'gamma', values: points.map((p) => budgetTerm(p.rftTokens)) },
  ];
  const fit = ols(points.map((p) => Math.log(p.value)), columns);
  return {
    form,
    coefficients: fit.coefficients,
    dropped: fit.dropped,
    r2: fit.r2,
    adjustedR2: fit.adjustedR2,
    n: fit.n,
    predicted: points.map((p) => predictLaw(fit, p)),
  };
}

/** The metric against r: a + b·r (degree 1) or a + b·r + c·r² (degree 2). */
export function fitPolynomial(ratios: number[], values: number[], degree: 1 | 2): PolynomialFit {
  const columns = [
    { name: 'a', values: ratios.map(() => 1) },
    { name: 'b', values: ratios },
    ...(degree === 2 ? [{ name: 'c', values: ratios.map((r) => r * r) }] : []),
  ];
  const fit = ols(values, columns);
  return { degree, coefficients: fit.coefficients, r2: fit.r2, adjustedR2: fit.adjustedR2 };
}

/** Both law forms, and line vs quadratic over the points without recovery. */
export function compressionLawReport(points: LawPoint[]): LawReport {
  const noIntercept = fitCompressionLaw(points, 'no-intercept');
  const intercept = fitCompressionLaw(points, 'intercept');
  const plain = points.filter((p) => p.rftTokens === 0);
  const distinct = new Set(plain.map((p) => p.ratio)).size;
  const linear = distinct >= 2 ? fitPolynomial(plain.map((p) => p.ratio), plain.map((p) => p.value), 1) : null;
  const quadratic = distinct >= 3 ? fitPolynomial(plain.map((p) => p.ratio), plain.map((p) => p.value), 2) : null;
  const curvature = quadratic?.coefficients.find((c) => c.name === 'c')?.ci95 ?? null;
  const better = curvature === null ? null : curvature[0] > 0 || curvature[1] < 0 ? 'quadratic' : 'linear';
  const r2 = Math.max(noIntercept.r2, intercept.r2);
  const verdict = points.length < 4 ? `too few points (${points.length}) to judge the fit` : r2 >= 0.9 ? `good fit (R² ${r2.toFixed(3)} in log space)` : r2 >= 0.7 ? `fair fit (R² ${r2.toFixed(3)} in log space)` : `poor fit (R² ${r2.toFixed(3)} in log space): the law does not describe these points well`;
  return { noIntercept, intercept, linear, quadratic, better, verdict };
}

/**
 * The largest ratio whose predicted metric stays at or below `threshold` (a loss; for a metric that
 * falls with r, at or above), with recovery budget `rftTokens`, from a fitted law: solves
 * log T = c + α log L₀ + β log(1 + r) + γ log(1 + 1/(D + 1)) for r. null when β is not identified or 0,
 * or when no r in [0, 1) qualifies; 1 when every r below 1 qualifies.
 */
export function criticalRatio(fit: LawFit, o: { threshold: number; base: number; rftTokens: number }): number | null {
  const coef = (name: string) => fit.coefficients.find((c) => c.name === name)?.value ?? null;
  const beta = coef('beta');
  if (beta === null || beta === 0 || !(o.threshold > 0)) return null;
  const rest = (coef('c') ?? 0) + (coef('alpha') ?? 0) * Math.log(o.base) + (coef('gamma') ?? 0) * budgetTerm(o.rftTokens);
  const r = Math.exp((Math.log(o.threshold) - rest) / beta) - 1;
  // β > 0: the metric rises with r, so r ≤ r* qualifies; β < 0: it falls, the same bound for "at or above".
  if (r < 0) return null;
  return Math.min(r, 1);
}
