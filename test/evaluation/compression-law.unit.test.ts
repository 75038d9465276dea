// The compression-law fit: known coefficients come back from synthetic points (exactly without noise,
// within their 95% intervals with it); columns the points cannot identify are dropped, not invented;
// a quadratic beats a line on quadratic data and not on linear data; the critical ratio inverts the law.

import { describe, expect, it } from 'vitest';
import { compressionLawReport, criticalRatio, fitCompressionLaw, fitPolynomial, type LawPoint } from '../../src/evaluation/compression-law';
import { ols, tQuantile975 } from '../../src/evaluation/least-squares';
import { mulberry32 } from '../../src/pruning/calibration-data';

const truth = { alpha: 1.1, beta: 2.0, gamma: 0.3 };
const law = (base: number, ratio: number, rftTokens: number) => base ** truth.alpha * (1 + ratio) ** truth.beta * (1 + 1 / (rftTokens / 1e6 + 1)) ** truth.gamma;

/** Three base models × 5 ratios × 3 budgets (millions of tokens), optionally with log-normal noise. */
function grid(noise = 0, seed = 1): LawPoint[] {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const points: LawPoint[] = [];
  for (const base of [2.1, 2.8, 3.5])
    for (const ratio of [0, 0.2, 0.4, 0.6, 0.8])
      for (const rftTokens of [0, 1e6, 5e6]) points.push({ base, ratio, rftTokens, value: law(base, ratio, rftTokens) * Math.exp(noise * gauss()) });
  return points;
}

const value = (fit: { coefficients: { name: string; value: number | null }[] }, name: string) => fit.coefficients.find((c) => c.name === name)!.value;

describe('compression law', () => {
  it('recovers known α, β, γ from synthetic points within 1% (no noise: exactly, R² = 1)', () => {
    const fit = fitCompressionLaw(grid(), 'no-intercept');
    for (const [name, want] of Object.entries(truth)) expect(Math.abs(value(fit, name)! - want) / want, name).toBeLessThan(1e-9);
    expect(fit.r2).toBeCloseTo(1, 12);
    grid().forEach((p, i) => expect(fit.predicted[i]).toBeCloseTo(p.value, 9));
  });

  it('with noise, every coefficient within 1% and within 4 standard errors; the intercept is ≈ 0', () => {
    const points = grid(0.002, 7);
    const plain = fitCompressionLaw(points, 'no-intercept');
    for (const [name, want] of Object.entries(truth)) {
      const c = plain.coefficients.find((x) => x.name === name)!;
      expect(Math.abs(c.value! - want) / want, name).toBeLessThan(0.01);
      expect(Math.abs(c.value! - want) / c.stderr!, name).toBeLessThan(4);
      expect(c.ci95![1] - c.ci95![0]).toBeCloseTo(2 * tQuantile975(plain.n - 3) * c.stderr!, 12);
    }
    const withC = fitCompressionLaw(points, 'intercept');
    const c = withC.coefficients.find((x) => x.name === 'c')!;
    expect(Math.abs(c.value!) / c.stderr!).toBeLessThan(4);
    expect(withC.r2).toBeGreaterThan(0.999);
  });

  it('one model and no recovery: what the points cannot identify is dropped, with the reason', () => {
    const points = grid().filter((p) => p.base === 2.8 && p.rftTokens === 0);
    const withC = fitCompressionLaw(points, 'intercept');
    // log L₀ is constant beside the intercept; log(1 + 1/(D + 1)) is constant too.
    expect(withC.dropped.map((d) => d.name)).toEqual(['alpha', 'gamma']);
    expect(value(withC, 'alpha')).toBeNull();
    expect(value(withC, 'beta')).toBeCloseTo(truth.beta, 9);
    expect(withC.dropped[0].reason).toMatch(/not identified/);
  });

  it('quadratic data: the curvature is significant; linear data: the line is kept', () => {
    const ratios = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
    const quad = fitPolynomial(ratios, ratios.map((r) => 2 + 0.3 * r + 4 * r * r), 2);
    expect(value(quad, 'c')).toBeCloseTo(4, 9);
    expect(quad.r2).toBeCloseTo(1, 12);
    const random = mulberry32(3);
    const points = (f: (r: number) => number): LawPoint[] => ratios.map((ratio) => ({ ratio, rftTokens: 0, base: 2, value: f(ratio) * (1 + 0.01 * (random() - 0.5)) }));
    expect(compressionLawReport(points((r) => 2 + 4 * r * r)).better).toBe('quadratic');
    expect(compressionLawReport(points((r) => 2 + 3 * r)).better).toBe('linear');
  });

  it('a poor fit is reported as poor', () => {
    const zigzag: LawPoint[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((ratio, i) => ({ ratio, rftTokens: 0, base: 2, value: i % 2 ? 9 : 2 }));
    expect(compressionLawReport(zigzag).verdict).toMatch(/^poor fit/);
    expect(compressionLawReport(grid()).verdict).toMatch(/^good fit/);
  });

  it('critical ratio inverts the fitted law; none when even r = 0 is over the threshold', () => {
    const fit = fitCompressionLaw(grid(), 'no-intercept');
    const at = law(2.8, 0.45, 1e6);
    expect(criticalRatio(fit, { threshold: at, base: 2.8, rftTokens: 1e6 })).toBeCloseTo(0.45, 9);
    expect(criticalRatio(fit, { threshold: 1, base: 2.8, rftTokens: 0 })).toBeNull();
  });

  it('least squares: t quantiles, a bad column length and non-finite values are refused', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706, 3);
    expect(tQuantile975(5)).toBeCloseTo(2.571, 2);
    expect(tQuantile975(30)).toBeCloseTo(2.042, 3);
    expect(() => ols([1, 2], [{ name: 'x', values: [1] }])).toThrow(/column x has 1 values for 2/);
    expect(() => ols([1, NaN], [{ name: 'x', values: [1, 2] }])).toThrow(/finite/);
    expect(() => fitCompressionLaw([{ ratio: 1.2, rftTokens: 0, base: 2, value: 3 }], 'intercept')).toThrow(/point 1: ratio must be in \[0, 1\)/);
  });
});
