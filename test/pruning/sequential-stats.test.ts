// Sequential calibration (methods.md §1.3) pinned by independent float64 math: block 1's Wanda
// statistics (Σ_t x_tj² per input channel of q, o, gate, down) must be those of the PRUNED block 0's
// output, recomputed here with the plain-TS reference forward on stories260K, not the dense output.
import { describe, expect, it } from 'vitest';
import { blockLinearNames, llamaNames } from '../../src/model/model-spec';
import type { LinearInputStats } from '../../src/pruning/calibration';
import { wanda } from '../../src/pruning/methods/wanda';
import { referenceBlock } from '../oracles/reference-forward';
import { context, stories, storiesSpec as spec } from './helpers/stories';

type Mat = Float64Array[];
const sqNorm = (rows: Mat) => {
  const out = new Float64Array(rows[0].length);
  for (const r of rows) for (let j = 0; j < r.length; j++) out[j] += r[j] * r[j];
  return out;
};

describe('sequential calibration by hand', () => {
  it('block 1 statistics = Σx² of the reference forward on the pruned block 0 output (rel. 1e-3), far from the dense ones', async () => {
    const windows = stories(2, 32, 4);
    const ctx = context(windows);
    const seen: { block: number; inputs: Map<string, LinearInputStats> }[] = [];
    const runBlock = ctx.runner.runBlock.bind(ctx.runner);
    ctx.runner.runBlock = async (s, block, hidden, kind) => {
      const run = await runBlock(s, block, hidden, kind);
      if (kind !== 'none') seen.push({ block, inputs: run.inputs });
      return run;
    };
    const plan = await wanda.run(ctx, { sparsity: 0.5 });
    await ctx.runner.dispose();
    const used = seen.find((c) => c.block === 1)!.inputs;

    // Block 0 with the plan's masks applied by hand; embeddings looked up by hand.
    const weights = new Map(spec.weights);
    for (const name of blockLinearNames(spec, 0)) {
      const w = spec.weights.get(name)!;
      weights.set(name, { shape: w.shape, data: w.data.map((v, i) => (plan.masks[name][i] ? v : 0)) });
    }
    const pruned0 = { ...spec, weights };
    const d = spec.config.hiddenSize;
    const embed = spec.weights.get(llamaNames.embed)!.data;
    const want = { pruned: new Map<string, Float64Array>(), dense: new Map<string, Float64Array>() };
    const layerOf = { attn_in: llamaNames.q(1), o_in: llamaNames.o(1), mlp_in: llamaNames.gate(1), down_in: llamaNames.down(1) } as const;
    for (const [kind, block0] of [['pruned', pruned0], ['dense', spec]] as const) {
      for (const ids of windows) {
        const x0: Mat = Array.from(ids, (id) => Float64Array.from(embed.subarray(id * d, (id + 1) * d)));
        const inputs = referenceBlock(spec, 1, referenceBlock(block0, 0, x0).output).inputs;
        for (const [key, name] of Object.entries(layerOf)) {
          const sq = sqNorm(inputs[key as keyof typeof layerOf]);
          const acc = want[kind].get(name) ?? new Float64Array(sq.length);
          sq.forEach((v, j) => (acc[j] += v));
          want[kind].set(name, acc);
        }
      }
    }
    const names = Object.values(layerOf);
    expect(names.length).toBe(4);
    let farFromDense = 0;
    let channels = 0;
    for (const name of names) {
      const got = used.get(name)!.sqNorm;
      const p = want.pruned.get(name)!;
      const q = want.dense.get(name)!;
      expect(got.length).toBe(p.length);
      expect(got.length).toBeGreaterThan(0);
      for (let j = 0; j < p.length; j++) {
        expect(Math.abs(got[j] - p[j]), `${name}[${j}]`).toBeLessThanOrEqual(1e-3 * p[j] + 1e-6);
        channels++;
        if (Math.abs(q[j] - p[j]) > 1e-2 * p[j]) farFromDense++;
      }
    }
    // The check can fail: most channels move by > 10× the tolerance between dense and pruned streams.
    expect(farFromDense).toBeGreaterThan(channels / 2);
    expect(used.get(llamaNames.q(1))!.tokens).toBe(64);
  });
});
