// NeuroAL search internals: the alignment-source map (llama and GPT-2, §3.4), row-step targets with
// GQA k/v, and the alignment pass on the linear chain (statistics kinds per base, SparseGPT block
// edits, activation norms as means over windows, all-zero inputs, missing statistics).
import { describe, expect, it } from 'vitest';
import { gpt2Names, llamaNames, type ModelSpec, type WeightTensor } from '../../../src/model/model-spec';
import { alignmentPass, alignmentSource, neuroalBlockEdit, rowStepTargets } from '../../../src/pruning/row-wise/neuroal-search';
import { rejection } from '../helpers/errors';
import { chainSpec, chainWindows, linearChainRunner, withoutStatsFor } from '../helpers/linear-chain-runner';

describe('NeuroAL alignment sources (§3.4)', () => {
  const fake = (family: 'llama' | 'gpt2', blocks: number) => ({ family, layers: new Array(blocks).fill({}) }) as unknown as ModelSpec;
  // [family, its names, the FFN input linears, the FFN output linear, the other family's q names]
  it.each([
    ['llama', llamaNames, [llamaNames.gate, llamaNames.up], llamaNames.down, gpt2Names.q],
    ['gpt2', gpt2Names, [gpt2Names.fc], gpt2Names.proj, llamaNames.q],
  ] as const)('%s: q,k,v ← o; o ← first FFN input; FFN inputs ← FFN output; that ← next q; last block and others null', (family, n, ffnIn, ffnOut, otherQ) => {
    const s = fake(family, 3);
    for (const b of [0, 1]) {
      for (const name of [n.q(b), n.k(b), n.v(b)]) expect(alignmentSource(s, b, name)).toBe(n.o(b));
      expect(alignmentSource(s, b, n.o(b))).toBe(ffnIn[0](b));
      for (const f of ffnIn) expect(alignmentSource(s, b, f(b))).toBe(ffnOut(b));
      expect(alignmentSource(s, b, ffnOut(b))).toBe(n.q(b + 1));
      expect(alignmentSource(s, b, n.q(b + 1))).toBeNull(); // a name of another block
      expect(alignmentSource(s, b, 'something.else')).toBeNull();
      expect(alignmentSource(s, b, otherQ(b))).toBeNull();
    }
    for (const name of [n.q(2), n.o(2), ffnIn[0](2), ffnOut(2)]) expect(alignmentSource(s, 2, name)).toBeNull();
  });
  it('rowStepTargets: a source alignment of another length (GQA k/v) keeps the block value', () => {
    const n = llamaNames;
    const shapes: Record<string, number[]> = { q: [8, 8], k: [4, 8], v: [4, 8], o: [8, 8], gate: [12, 8], up: [12, 8], down: [8, 12] };
    const weights = new Map<string, WeightTensor>();
    for (const b of [0, 1])
      for (const [key, shape] of Object.entries(shapes)) weights.set((n as unknown as Record<string, (i: number) => string>)[key](b), { shape, data: new Float32Array(shape[0] * shape[1]) });
    const spec = { family: 'llama', layers: [{}, {}], weights } as unknown as ModelSpec;
    const ramp = Float64Array.from({ length: 8 }, (_, j) => j + 1);
    const targets = rowStepTargets(spec, [0.5, 0.5], new Map([[n.o(0), ramp]]), 0.1);
    expect(targets.get(n.k(0))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(targets.get(n.v(0))).toEqual([0.5, 0.5, 0.5, 0.5]);
    const q = targets.get(n.q(0))!;
    expect(q.length).toBe(8);
    expect(q[0]).toBeGreaterThan(q[7]); // rows that lost more activation keep more weights
  });
});

describe('NeuroAL alignment pass on the linear chain', () => {
  const windows = chainWindows(4, 5, 3);
  const constantTarget = () => ({ sparsity: 0.5 });
  it('dense runs take the Gram for SparseGPT, norms otherwise; sparse runs always norms', async () => {
    for (const [base, denseKind] of [['sparsegpt', 'gram'], ['wanda', 'norms'], ['magnitude', 'norms']] as const) {
      const spec = chainSpec(2, 5);
      const runner = linearChainRunner();
      const embedded = await runner.embed(spec, windows);
      await alignmentPass(runner, spec, embedded, windows.length, base, constantTarget);
      expect(runner.calls.map((c) => c.stats)).toEqual([denseKind, 'norms', denseKind, 'norms']);
    }
  });
  it('SparseGPT block edits carry the reconstructed weights', async () => {
    const spec = chainSpec(2, 5);
    const runner = linearChainRunner();
    const run = await runner.runBlock(spec, 0, await runner.embed(spec, windows), 'gram');
    const edit = neuroalBlockEdit(spec, 0, 'sparsegpt', run.inputs, windows.length, constantTarget);
    expect(Object.keys(edit.updates).sort()).toEqual(Object.keys(edit.masks).sort());
    expect(Object.keys(edit.masks).length).toBe(7);
  });
  it('activation norms are means over the windows: the alignment scales with 1/sqrt(windows)', async () => {
    const spec = chainSpec(2, 5);
    const runner = linearChainRunner();
    const embedded = await runner.embed(spec, windows);
    const one = await alignmentPass(runner, spec, embedded, 1, 'wanda', constantTarget);
    const four = await alignmentPass(runner, spec, embedded, 4, 'wanda', constantTarget);
    let checked = 0;
    for (const [name, a] of one.alignment) {
      const b = four.alignment.get(name)!;
      a.forEach((v, j) => {
        if (Math.abs(v) > 1e-6) {
          expect(b[j] / v).toBeCloseTo(0.5, 9);
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(10);
    expect(four.objective).toBeCloseTo(one.objective, 9);
  });
  it('a layer with an all-zero input contributes 0, not NaN', async () => {
    const spec = chainSpec(2, 5);
    const v0 = spec.weights.get(llamaNames.v(0))!;
    spec.weights.set(llamaNames.v(0), { shape: v0.shape, data: new Float32Array(v0.data.length) }); // o_proj input ≡ 0
    const runner = linearChainRunner();
    const pass = await alignmentPass(runner, spec, await runner.embed(spec, windows), windows.length, 'wanda', constantTarget);
    expect(Number.isFinite(pass.objective)).toBe(true);
    expect(pass.objective).toBeGreaterThan(0);
  });
  it('missing statistics are reported with the layer name', async () => {
    const spec = chainSpec(2, 5);
    const inner = linearChainRunner();
    const runner = withoutStatsFor(inner, llamaNames.up);
    const e = await rejection(alignmentPass(runner, spec, await inner.embed(spec, windows), windows.length, 'magnitude', constantTarget));
    expect(e.message).toBe(`calibration runner returned no statistics for ${llamaNames.up(0)}`);
  });
});
