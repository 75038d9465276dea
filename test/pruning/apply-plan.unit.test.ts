// applyPlan, editWeights and removeBlocks: copy-on-write (fresh data and shape arrays, untouched weights
// shared, the input spec and plan never mutated), updates → masks → block removal with re-indexed names,
// and the validation errors naming the weight or the block list.
import { describe, expect, it } from 'vitest';
import { llamaNames } from '../../src/model/model-spec';
import { applyPlan, editWeights, removeBlocks } from '../../src/pruning/apply-plan';
import { emptyPlan } from '../../src/pruning/plan';
import { thrown } from './helpers/errors';
import { chainSpec } from './helpers/linear-chain-runner';
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

  it('updates first, then masks zero the updated values; removal last, on the edited weights', () => {
    const spec = chainSpec(2, 6);
    const name = llamaNames.v(1);
    const n = spec.weights.get(name)!.data.length;
    const plan = emptyPlan('x', {});
    plan.updates[name] = Float32Array.from({ length: n }, (_, i) => i + 1);
    plan.masks[name] = Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 0));
    plan.removeBlocks = [0];
    const before = Float32Array.from(spec.weights.get(name)!.data);
    const out = applyPlan(spec, plan);
    const got = out.weights.get(llamaNames.v(0))!.data; // block 1 is now block 0
    expect(Array.from(got)).toEqual(Array.from({ length: n }, (_, i) => (i % 2 ? i + 1 : 0)));
    expect(Array.from(spec.weights.get(name)!.data)).toEqual(Array.from(before));
    expect(plan.removeBlocks).toEqual([0]);
  });

  it('unsorted removeBlocks in the plan are applied, the plan left as it was', () => {
    const spec = chainSpec(4, 7);
    const plan = { ...emptyPlan('x', {}), removeBlocks: [2, 0] };
    const out = applyPlan(spec, plan);
    expect(out.layers.length).toBe(2);
    expect(out.weights.get(llamaNames.q(0))).toBe(spec.weights.get(llamaNames.q(1)));
    expect(out.weights.get(llamaNames.q(1))).toBe(spec.weights.get(llamaNames.q(3)));
    expect(plan.removeBlocks).toEqual([2, 0]);
  });

  it('reports removeBlocks in ascending order', () => {
    const plan = { ...emptyPlan('x', {}), removeBlocks: [2, 0, 0] };
    expect(thrown(() => applyPlan(chainSpec(3, 2), plan)).message).toBe('plan: removeBlocks [0,0,2] must be distinct block indices in [0, 2]');
  });
});

describe('editWeights', () => {
  const spec = chainSpec(3, 2);
  const q0 = llamaNames.q(0);

  it('errors name the weight and what the plan carried for it', () => {
    let e = thrown(() => editWeights(spec, {}, { 'no.such.weight': new Float32Array(4) }));
    expect(e).toMatchObject({ code: 'bad-argument', message: 'plan: update for no.such.weight, which the model does not have', details: { weight: 'no.such.weight' } });
    e = thrown(() => editWeights(spec, { [q0]: new Uint8Array(3) }, {}));
    expect(e).toMatchObject({ code: 'bad-argument', message: `plan: mask for ${q0} has 3 entries but the weight has 64`, details: { weight: q0 } });
  });

  it('edited tensors are fresh copies, shape arrays included', () => {
    const mask = new Uint8Array(64).fill(1);
    mask[5] = 0;
    const k0 = llamaNames.k(0);
    const out = editWeights(spec, { [q0]: mask }, { [k0]: new Float32Array(64).fill(2) });
    for (const name of [q0, k0]) {
      expect(out.weights.get(name)!.shape).toEqual(spec.weights.get(name)!.shape);
      expect(out.weights.get(name)!.shape).not.toBe(spec.weights.get(name)!.shape);
    }
    expect(out.weights.get(q0)!.data[5]).toBe(0);
    expect(spec.weights.get(q0)!.data[5]).not.toBe(0);
  });

  it('a mask alone copies the weight before zeroing; untouched weights stay shared', () => {
    const one = chainSpec(1, 8);
    const w = one.weights.get(q0)!;
    const m = new Uint8Array(w.data.length).fill(1);
    m[0] = 0;
    const out = editWeights(one, { [q0]: m }, {});
    expect(out.weights.get(q0)!.data[0]).toBe(0);
    expect(out.weights.get(q0)!.data[1]).toBe(w.data[1]);
    expect(w.data[0]).not.toBe(0);
    expect(out.weights.get(llamaNames.k(0))).toBe(one.weights.get(llamaNames.k(0)));
    expect(out.weights).not.toBe(one.weights);
  });
});

describe('removeBlocks', () => {
  const spec = chainSpec(3, 5);

  it('no blocks: the very same spec back', () => {
    expect(removeBlocks(spec, [])).toBe(spec);
  });

  it.each([[[1, 1]], [[1.5]], [[-1]], [[3]], [[0, 3]], [[-1, 1]], [[2, -1]], [[1, 0.5]], [[0, 2, 0]]])('%j: one bad index is enough to reject', (blocks) => {
    const e = thrown(() => removeBlocks(spec, blocks));
    expect([e.code, e.message]).toEqual(['bad-argument', `plan: removeBlocks ${JSON.stringify(blocks)} must be distinct block indices in [0, 2]`]);
  });

  it('all blocks leave no model; the first or the last alone may go', () => {
    const e = thrown(() => removeBlocks(spec, [0, 1, 2]));
    expect([e.code, e.message]).toEqual(['bad-argument', 'plan: removing all 3 blocks leaves no model']);
    expect(removeBlocks(spec, [0]).layers.length).toBe(2);
    expect(removeBlocks(spec, [2]).layers.length).toBe(2);
  });

  it('a removed middle block leaves no weights behind; later ones move down', () => {
    const out = removeBlocks(spec, [1]);
    const perBlock = [...spec.weights.keys()].filter((n) => n.startsWith('model.layers.1.')).length;
    expect(out.weights.size).toBe(spec.weights.size - perBlock);
    expect([...out.weights.keys()].some((n) => n.includes('undefined') || n.startsWith('model.layers.2.'))).toBe(false);
    expect(out.weights.get(llamaNames.q(1))).toBe(spec.weights.get(llamaNames.q(2)));
  });

  it('the first block removed: every later name moves down by one, non-block weights kept', () => {
    const out = removeBlocks(spec, [0]);
    expect(out.layers.length).toBe(2);
    expect(out.weights.get(llamaNames.q(0))).toBe(spec.weights.get(llamaNames.q(1)));
    expect(out.weights.get(llamaNames.down(1))).toBe(spec.weights.get(llamaNames.down(2)));
    expect(out.weights.has(llamaNames.q(2))).toBe(false);
    expect(out.weights.get(llamaNames.embed)).toBe(spec.weights.get(llamaNames.embed));
    expect(spec.layers.length).toBe(3);
    expect(spec.weights.has(llamaNames.q(2))).toBe(true);
  });
});
