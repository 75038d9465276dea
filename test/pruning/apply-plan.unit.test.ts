// applyPlan (copy-on-write, updates → masks → block removal with re-indexed names) and measureSparsity.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, llamaNames } from '../../src/model/model-spec';
import { applyPlan } from '../../src/pruning/apply-plan';
import { emptyPlan } from '../../src/pruning/plan';
import { measureSparsity } from '../../src/pruning/sparsity';
import { tinySpec } from '../oracles/reference-forward';

const layer = { numHeads: 2, numKvHeads: 1, headDim: 4, intermediateSize: 12 };
const spec = () => tinySpec({ family: 'llama', layers: [layer, layer, layer, layer], hidden: 8, seed: 5 });

describe('applyPlan', () => {
  it('applies updates, then masks, without touching the input spec', () => {
    const s = spec();
    const q = llamaNames.q(1);
    const before = Float32Array.from(s.weights.get(q)!.data);
    const plan = emptyPlan('test', {});
    const n = before.length;
    plan.updates[q] = Float32Array.from({ length: n }, (_, i) => i + 1);
    plan.masks[q] = Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 0));
    const out = applyPlan(s, plan);
    expect(Array.from(out.weights.get(q)!.data.slice(0, 4))).toEqual([0, 2, 0, 4]);
    expect(s.weights.get(q)!.data).toEqual(before);
    expect(out.weights.get(llamaNames.k(1))).toBe(s.weights.get(llamaNames.k(1))); // untouched weights shared
  });

  it('removes blocks physically and re-indexes the names after them', () => {
    const s = spec();
    const plan = emptyPlan('test', {});
    plan.removeBlocks = [1, 2];
    const out = applyPlan(s, plan);
    expect(out.layers.map((l) => l.sourceIndex)).toEqual([0, 3]);
    expect(out.weights.get(llamaNames.q(1))).toBe(s.weights.get(llamaNames.q(3)));
    expect(out.weights.has(llamaNames.q(2))).toBe(false);
    expect(out.weights.get(llamaNames.embed)).toBe(s.weights.get(llamaNames.embed));
    expect(s.layers.length).toBe(4);
  });

  it('rejects masks for unknown weights or of the wrong length', () => {
    const plan = emptyPlan('test', {});
    plan.masks['model.layers.9.self_attn.q_proj.weight'] = new Uint8Array(3);
    expect(() => applyPlan(spec(), plan)).toThrow(/model\.layers\.9\.self_attn\.q_proj\.weight, which the model does not have/);
    const bad = emptyPlan('test', {});
    bad.masks[llamaNames.q(0)] = new Uint8Array(3);
    expect(() => applyPlan(spec(), bad)).toThrow(/has 3 entries but the weight has 64/);
  });
});

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
});
