// measureSparsity: zero fractions over block linears only, per layer, per block and overall.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, llamaNames, type ModelSpec } from '../../src/model/model-spec';
import { applyPlan } from '../../src/pruning/apply-plan';
import { emptyPlan } from '../../src/pruning/plan';
import { measureSparsity } from '../../src/pruning/sparsity';
import { tinySpec } from '../oracles/reference-forward';
import { chainSpec } from './helpers/linear-chain-runner';

const layer = { numHeads: 2, numKvHeads: 1, headDim: 4, intermediateSize: 12 };
const spec = () => tinySpec({ family: 'llama', layers: [layer, layer, layer, layer], hidden: 8, seed: 5 });

describe('measureSparsity', () => {
  it('counts zeros over block linears only, per layer and per block', () => {
    const s = spec();
    const plan = emptyPlan('test', {});
    for (const name of blockLinearNames(s, 2)) plan.masks[name] = new Uint8Array(s.weights.get(name)!.data.length); // all zero
    plan.masks[llamaNames.embed] = new Uint8Array(s.weights.get(llamaNames.embed)!.data.length);
    const report = measureSparsity(applyPlan(s, plan));
    expect(report.perBlock).toEqual([0, 0, 1, 0]);
    expect(report.overall).toBeCloseTo(0.25, 12);
    expect(report.perLayer.filter((l) => l.block === 2).every((l) => l.sparsity === 1)).toBe(true);
    expect(report.perLayer.length).toBe(28);
  });
  it('per layer, per block and overall zero fractions (chain spec)', () => {
    const spec: ModelSpec = chainSpec(2, 3);
    const q1 = llamaNames.q(1);
    const w = spec.weights.get(q1)!;
    const data = Float32Array.from(w.data);
    data.fill(0, 0, 16);
    spec.weights.set(q1, { shape: w.shape, data });
    const r = measureSparsity(spec);
    expect(r.perLayer.length).toBe(14);
    expect(r.perLayer[7]).toEqual({ block: 1, name: q1, sparsity: 0.25 });
    expect(r.perLayer[0]).toEqual({ block: 0, name: llamaNames.q(0), sparsity: 0 });
    expect(r.perBlock[0]).toBe(0);
    expect(r.perBlock[1]).toBeGreaterThan(0);
  });
});
