// OWL by hand (methods.md §2.5): outlier ratio D_ℓ = 100·#{A > M·mean(A)}/#A over the block's Wanda
// scores; D' = (D − min)/(max − min)·2λ; density D' − mean(D') + (1 − s); s_ℓ = 1 − density.
// Skewed ratios reach s ± 2λ (the code centres on the mean). Stats from the DENSE stream.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, getWeight } from '../../../src/model/model-spec';
import { owl } from '../../../src/pruning/methods/owl';
import { outlierRatio, owlBlockSparsities } from '../../../src/pruning/row-wise/allocation';
import { chainBlock, chainEmbed, chainSpec, chainWindows, linearChainRunner, sqNormOf } from '../helpers/linear-chain-runner';

describe('OWL outlier ratio by hand', () => {
  it('counts A > M·mean over all the block’s layers together, in percent', () => {
    // 10 scores, mean (8·1 + 30 + 2)/10 = 4, M = 5 → threshold 20: only 30 counts → 10%.
    expect(outlierRatio([[1, 1, 1, 1, 1], [1, 1, 1, 30, 2]], 5)).toBeCloseTo(10, 12);
    // Per-layer means would count differently: layer 2 alone has mean 7, threshold 35 → 0%.
    expect(outlierRatio([[1, 1, 1, 1, 1]], 5) + outlierRatio([[1, 1, 1, 30, 2]], 5)).toBe(0);
    // Strictly greater: a score equal to M·mean is not an outlier (mean 2, threshold 10).
    expect(outlierRatio([[0, 0, 0, 0, 10]], 5)).toBe(0);
  });
});

describe('OWL block sparsities by hand', () => {
  const s = 0.6, lambda = 0.08;
  it('ratios [2, 6, 4]: D\' = [0, 2λ, λ], mean λ → s_ℓ = [s + λ, s − λ, s]; more outliers → lower sparsity', () => {
    const out = owlBlockSparsities([2, 6, 4], s, lambda);
    [s + lambda, s - lambda, s].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));
  });
  it('skewed ratios [0, 0, 0, 0, 10]: D\' = [0,0,0,0,2λ], mean 0.4λ → four at s + 0.4λ, one at s − 1.6λ (outside s ± λ, inside s ± 2λ)', () => {
    const out = owlBlockSparsities([0, 0, 0, 0, 10], s, lambda);
    expect(out.length).toBe(5);
    for (const v of out.slice(0, 4)) expect(v).toBeCloseTo(s + 0.4 * lambda, 12);
    expect(out[4]).toBeCloseTo(s - 1.6 * lambda, 12);
    expect(out[4]).toBeLessThan(s - lambda);
    // Nine equal, one high: s − 1.8λ; the bound s − 2λ is approached as L grows.
    expect(owlBlockSparsities([...new Array(9).fill(1), 3], s, lambda)[9]).toBeCloseTo(s - 1.8 * lambda, 12);
  });
  it('clips like the code: ≤ 0 → 0.01', () => {
    expect(owlBlockSparsities([0, 10], 0.05, 0.1)).toEqual([0.15000000000000002, 0.01]);
  });
});

describe('OWL end to end on the linear-chain runner', () => {
  it('ratios from the dense stream by hand reorder the allocation; rows lose int(d_in·s_ℓ)', async () => {
    const spec = chainSpec(3, 21);
    const windows = chainWindows(2, 6, 3);
    const M = 2, s = 0.5, lambda = 0.1;
    const plan = await owl.run({ spec, runner: linearChainRunner(), windows }, { sparsity: s, base: 'wanda', M, lambda });
    // Dense stream, Wanda scores |W|·sqrt(Σx²/windows), ratio over the whole block.
    let x = chainEmbed(spec, windows);
    const ratios: number[] = [];
    for (let b = 0; b < 3; b++) {
      const run = chainBlock(spec, b, x);
      const scores: number[] = [];
      for (const name of blockLinearNames(spec, b)) {
        const w = getWeight(spec, name);
        const cols = w.shape[1];
        const sq = sqNormOf(run.inputs.get(name)!);
        w.data.forEach((v, i) => scores.push(Math.abs(v) * Math.sqrt(sq[i % cols] / windows.length)));
      }
      const mean = scores.reduce((a, c) => a + c, 0) / scores.length;
      ratios.push((100 * scores.filter((v) => v > M * mean).length) / scores.length);
      x = run.output;
    }
    const min = Math.min(...ratios), max = Math.max(...ratios);
    expect(max).toBeGreaterThan(min);
    const d = ratios.map((r) => ((r - min) / (max - min)) * 2 * lambda);
    const meanD = d.reduce((a, c) => a + c, 0) / 3;
    const expected = d.map((v) => 1 - (v - meanD + 1 - s));
    expect(plan.targetBlockSparsity!.length).toBe(3);
    plan.targetBlockSparsity!.forEach((v, b) => expect(v).toBeCloseTo(expected[b], 9));
    const trace = plan.trace.find((t) => t.kind === 'owl-outliers');
    if (trace?.kind !== 'owl-outliers') throw new Error('no owl-outliers trace');
    expect(trace.blocks.length).toBe(3);
    trace.blocks.forEach((e, b) => expect(e.outlierRatio).toBeCloseTo(ratios[b], 9));
    for (let b = 0; b < 3; b++) {
      const names = blockLinearNames(spec, b);
      expect(names.length).toBe(7);
      for (const name of names) {
        const [rows, cols] = getWeight(spec, name).shape;
        for (let r = 0; r < rows; r++) expect(plan.masks[name].subarray(r * cols, (r + 1) * cols).filter((m) => m === 0).length).toBe(Math.floor(cols * expected[b]));
      }
    }
  });
});
