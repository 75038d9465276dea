// The Laws panel's data: the chart's aligned series (measured points per budget, the fitted curve per
// budget through the points it fits) and the CSV of the points.

import { describe, expect, it } from 'vitest';
import { compressionLawReport } from '../../../src/evaluation/compression-law';
import type { LawPointResult } from '../../../src/lab/lab-api';
import { lawChartData, lawPointsCsv } from '../../../src/ui/laws/law-data';

const denseLoss = 2;
const loss = (r: number, d: number) => denseLoss * (1 + r) ** 2 * (1 + 1 / (d / 1e6 + 1)) ** 0.2;
const point = (compression: number, rftTokens: number): LawPointResult => ({
  ratio: compression, compression, rftTokens, recoverySteps: rftTokens / 1024, loss: loss(compression, rftTokens), ppl: Math.exp(loss(compression, rftTokens)),
  accuracy: null, parametersAfter: 100, removedBlocks: [1], decodeTokensPerSDense: 100, decodeTokensPerS: 125, prefillMsDense: 10, prefillMs: 8, elapsedMs: 5,
});

describe('law data', () => {
  const points = [0, 0.2, 0.4, 0.6].flatMap((r) => [point(r, 0), point(r, 2e6)]);
  const base = points.map((p) => ({ ratio: p.compression, rftTokens: p.rftTokens, value: p.loss, base: denseLoss }));
  // Several base values identify α apart from γ; here one base: the no-intercept form still fits exactly.
  const report = compressionLawReport(base);

  it('measured series per budget and the fitted curve through them', () => {
    const [xs, measured0, measured2M, curve0, curve2M] = lawChartData(points, { loss: report, dense: { loss: denseLoss, ppl: 0, accuracy: null } });
    expect(xs[0]).toBe(0);
    expect(xs.at(-1)).toBe(0.6);
    const at = (x: number) => xs.indexOf(x);
    expect(measured0[at(0.4)]).toBeCloseTo(loss(0.4, 0), 12);
    expect(measured2M[at(0.4)]).toBeCloseTo(loss(0.4, 2e6), 12);
    expect(measured0[at(0.015)]).toBeNull(); // grid point, no measurement
    expect(curve0![at(0.4)]).toBeCloseTo(loss(0.4, 0), 6);
    expect(curve2M![at(0.2)]).toBeCloseTo(loss(0.2, 2e6), 6);
  });

  it('before a fit: only the measured series', () => {
    expect(lawChartData(points.slice(0, 2), null)).toHaveLength(1 + 2);
  });

  it('CSV: one row per point, the speed-up derived', () => {
    const [header, ...rows] = lawPointsCsv(points).trim().split('\r\n').map((l) => l.split(','));
    expect(rows).toHaveLength(8);
    expect(rows[2][header.indexOf('compression')]).toBe('0.2');
    expect(rows[2][header.indexOf('decode_speedup')]).toBe('1.25');
    expect(rows[2][header.indexOf('acc_norm')]).toBe('');
  });
});
