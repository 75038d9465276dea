// Block movement pruning's bookkeeping (pruning/movement.ts): the cubic τ / λ schedule at sample steps
// (nn_pruning's schedule_threshold written out), which entries each score masks (struct: attention groups
// and FFN neurons; hybrid: 32 × 32 blocks), straight-through score gradients as sums of mask gradients,
// the L1 penalty's gradient against central differences, soft and hard binarizers.

import { describe, expect, it } from 'vitest';
import { keepOf, l1Penalty, movementGroups, movementMasks, movementScheduleAt, scoreGradients } from '../../src/pruning/movement';
import { tinySpec } from '../oracles/reference-forward';

const schedule = { initialThreshold: 0, finalThreshold: 0.1, warmupSteps: 10, initialWarmup: 1, finalWarmup: 2, finalLambda: 10 };

describe('movement pruning bookkeeping', () => {
  it('τ follows the cubic formula between the warm-ups; λ(t) = λ_final · τ / τ_final', () => {
    const total = 100;
    // By hand: τ = τf + (τi − τf)(1 − (t − W)/(T − 3W))³ for W < t ≤ T − 2W.
    const cubic = (t: number) => 0.1 + (0 - 0.1) * (1 - (t - 10) / (100 - 30)) ** 3;
    expect(movementScheduleAt(1, total, schedule)).toEqual({ threshold: 0, lambda: 0 });
    expect(movementScheduleAt(10, total, schedule).threshold).toBe(0);
    for (const t of [11, 25, 50, 80]) {
      const s = movementScheduleAt(t, total, schedule);
      expect(s.threshold).toBeCloseTo(cubic(t), 14);
      expect(s.lambda).toBeCloseTo((10 * cubic(t)) / 0.1, 12);
    }
    expect(movementScheduleAt(81, total, schedule)).toEqual({ threshold: 0.1, lambda: 10 });
    expect(movementScheduleAt(100, total, schedule).threshold).toBe(0.1);
    // Monotone rise from τi to τf.
    const taus = Array.from({ length: 100 }, (_, t) => movementScheduleAt(t + 1, total, schedule).threshold);
    taus.slice(1).forEach((tau, i) => expect(tau).toBeGreaterThanOrEqual(taus[i]));
  });

  it('struct: one score per attention group (GQA) and per FFN neuron, masking the right rows and columns', () => {
    const spec = tinySpec({ family: 'llama', seed: 3, hidden: 16, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 6 }] });
    const groups = movementGroups(spec, 'struct');
    expect(groups.map((g) => [g.name, g.size])).toEqual([['block 0 attention groups', 2], ['block 0 ffn neurons', 6]]);
    const masks = movementMasks(groups, [Uint8Array.of(1, 0), Uint8Array.of(1, 1, 0, 1, 1, 1)]);
    const q = masks.get('model.layers.0.self_attn.q_proj.weight')!; // [16, 16]: heads 2, 3 belong to group 1
    expect(q[7 * 16]).toBe(1);
    expect(q[8 * 16]).toBe(0);
    const k = masks.get('model.layers.0.self_attn.k_proj.weight')!; // [8, 16]
    expect([k[3 * 16], k[4 * 16]]).toEqual([1, 0]);
    const o = masks.get('model.layers.0.self_attn.o_proj.weight')!; // [16, 16]: columns 8.. are group 1's heads
    expect([o[7], o[8], o[16 + 15]]).toEqual([1, 0, 0]);
    const down = masks.get('model.layers.0.mlp.down_proj.weight')!; // [16, 6]
    expect([down[2], down[6 + 2], down[3]]).toEqual([0, 0, 1]);
    expect(masks.get('model.layers.0.mlp.up_proj.weight')![2 * 16 + 5]).toBe(0);
  });

  it('hybrid: 32 × 32 blocks on q/k/v/o; sizes not divisible are refused', () => {
    const spec = tinySpec({ family: 'llama', seed: 4, hidden: 64, layers: [{ numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 40 }] });
    const groups = movementGroups(spec, 'hybrid');
    expect(groups.map((g) => g.size)).toEqual([4, 2, 2, 4, 40]); // q 64×64, k/v 32×64, o 64×64, neurons
    const q = groups[0].targets[0].scoreOf;
    expect([q[0], q[31], q[32], q[32 * 64], q[63 * 64 + 63]]).toEqual([0, 0, 1, 2, 3]);
    expect(() => movementGroups(spec, 'hybrid', 48)).toThrow(/not divisible into 48 × 48 blocks/);
  });

  it('score gradients sum the mask gradients of the entries each score masks (straight-through)', () => {
    const spec = tinySpec({ family: 'llama', seed: 5, hidden: 16, layers: [{ numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 6 }] });
    const groups = movementGroups(spec, 'struct');
    const grads = new Map([...spec.weights].filter(([n]) => groups.some((g) => g.targets.some((t) => t.weight === n))).map(([n, w]) => [n, Float32Array.from(w.data, (_, i) => ((i * 7) % 11) - 5)]));
    const out = scoreGradients(groups, grads);
    const ffn = groups[1];
    let want = 0;
    for (const t of ffn.targets) for (let e = 0; e < t.scoreOf.length; e++) if (t.scoreOf[e] === 4) want += grads.get(t.weight)![e];
    expect(out[1][4]).toBe(want);
    expect(out[0]).toHaveLength(4);
  });

  it('the L1 penalty on σ(S) and its gradient (central differences)', () => {
    const spec = tinySpec({ family: 'llama', seed: 6, hidden: 16, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 6 }, { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 6 }] });
    const groups = movementGroups(spec, 'struct');
    const scores = groups.map((g, gi) => Float32Array.from({ length: g.size }, (_, k) => Math.sin(3 * gi + k)));
    const { value, gradients } = l1Penalty(groups, scores, { attention: 1, ffn: 2 });
    // By hand: attention groups weigh 0.5·1/2 per tensor mean, FFN 0.5·2/2.
    const mean = (x: Float32Array) => x.reduce((s, v) => s + 1 / (1 + Math.exp(-v)), 0) / x.length;
    expect(value).toBeCloseTo(0.25 * (mean(scores[0]) + mean(scores[2])) + 0.5 * (mean(scores[1]) + mean(scores[3])), 6);
    const h = 1e-3;
    const shifted = (gi: number, k: number, d: number) => {
      const copy = scores.map((s) => Float64Array.from(s));
      copy[gi][k] += d;
      return l1Penalty(groups, copy.map((s) => Float32Array.from(s)), { attention: 1, ffn: 2 }).value;
    };
    for (const [gi, k] of [[0, 1], [1, 3], [3, 5]]) expect(gradients[gi][k]).toBeCloseTo((shifted(gi, k, h) - shifted(gi, k, -h)) / (2 * h), 4);
  });

  it('soft movement keeps σ(S) > τ; hard movement keeps the top fraction', () => {
    const s = Float32Array.of(-3, 0.2, 2, -0.1, 1);
    expect([...keepOf(s, { kind: 'soft', threshold: 0.5 })]).toEqual([0, 1, 1, 0, 1]);
    expect([...keepOf(s, { kind: 'topk', keep: 0.4 })]).toEqual([0, 0, 1, 0, 1]);
  });
});
