// DReSS and direct hidden-channel removal on stories260K (methods.md §5.4): the channel index sets; removal
// equals masking when the removed channels carry zeros (≤ 1e-4 with the RMSNorm compensation, not
// without); the regularization drives the slice norm down; at 25% of the hidden channels DReSS's
// held-out perplexity is below direct removal's, before and after the same LoRA recovery budget; the
// width-pruned model exports with its new hidden_size.

import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../src/model/model-spec';
import { applyPlan, editWeights } from '../../src/pruning/apply-plan';
import { hiddenChannelIndices, hiddenSlices, removeHiddenChannels } from '../../src/pruning/channels';
import { channels } from '../../src/pruning/methods/channels';
import { dress } from '../../src/pruning/methods/dress';
import type { PruningContext } from '../../src/pruning/method';
import { createEngine } from '../../src/runtime/engine';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createTrainer } from '../../src/runtime/trainer';
import { exportConfig } from '../../src/export/export-config';
import { context, heldOutPpl, stories, storiesSpec as spec } from './helpers/stories';
import { loadStoriesTokenizer, TINYSTORIES_TEXT } from '../oracles/stories260k';
import { readFileSync } from 'node:fs';

useNativeOrt();

function withTrainer(ctx: PruningContext): PruningContext {
  return { ...ctx, createTrainer: (s, o) => createTrainer(s, { ...o, backend: 'cpu' }) };
}

/** The spec with every slice of channels R zeroed (the hidden stream is then 0 there). */
function masked(s: ModelSpec, removed: number[]): ModelSpec {
  const d = s.config.hiddenSize;
  const R = new Set(removed);
  const updates: Record<string, Float32Array> = {};
  for (const { weight, along } of hiddenSlices(s)) {
    const w = s.weights.get(weight)!;
    const data = Float32Array.from(w.data);
    const cols = w.shape[1] ?? 1;
    for (let i = 0; i < data.length; i++) {
      const channel = along === 'entries' ? i : along === 'columns' ? i % cols : Math.floor(i / cols);
      if (R.has(channel)) data[i] = 0;
    }
    updates[weight] = data;
    expect(d).toBe(along === 'columns' ? cols : along === 'rows' ? w.shape[0] : data.length);
  }
  return editWeights(s, {}, updates);
}

async function logits(s: ModelSpec, ids: number[]): Promise<Float32Array> {
  const engine = await createEngine(s, { backend: 'cpu' });
  const out = await engine.logits(ids);
  await engine.dispose();
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('hidden-channel pruning', () => {
  it('index sets: last, first, uniform; ⌈r·d⌉ channels', () => {
    expect(hiddenChannelIndices(8, 0.25, 'last')).toEqual([6, 7]);
    expect(hiddenChannelIndices(8, 0.25, 'first')).toEqual([0, 1]);
    expect(hiddenChannelIndices(8, 0.25, 'uniform')).toEqual([2, 6]);
    expect(hiddenChannelIndices(64, 0.25)).toHaveLength(16);
    expect(() => hiddenChannelIndices(8, 1)).toThrow(/ratio/);
  });

  it('removal = masking when the removed channels are zero: ≤ 1e-4 with the RMSNorm compensation, not without', async () => {
    const removed = hiddenChannelIndices(64, 0.25, 'uniform');
    const zeroed = masked(spec, removed);
    const ids = [1, 300, 45, 17, 220, 9, 400, 33];
    const want = await logits(zeroed, ids);
    const small = removeHiddenChannels(zeroed, removed, true);
    expect(small.config.hiddenSize).toBe(48);
    expect(small.weights.get('model.embed_tokens.weight')!.shape).toEqual([512, 48]);
    expect(small.weights.get('model.layers.0.self_attn.q_proj.weight')!.shape).toEqual([64, 48]);
    expect(small.weights.get('model.layers.0.mlp.down_proj.weight')!.shape).toEqual([48, 172]);
    expect(maxDiff(await logits(small, ids), want)).toBeLessThan(1e-4);
    expect(maxDiff(await logits(removeHiddenChannels(zeroed, removed, false), ids), want)).toBeGreaterThan(1e-2);
    // The width-pruned model's config says the new hidden size and the unchanged head size.
    const config = exportConfig(small, null, 'safetensors');
    expect(config).toMatchObject({ hidden_size: 48, head_dim: 8, num_attention_heads: 8, rms_norm_eps: (spec.config.normEps * 64) / 48 });
  });

  it('DReSS 25% (defaults): the slice norm falls; held-out ppl below direct removal before and after the same LoRA budget', async () => {
    const windows = stories(256, 128);
    const ratio = 0.25;
    const direct = applyPlan(spec, await channels.run(context(windows), { ratio }));
    const plan = await dress.run(withTrainer(context(windows)), { ratio });
    expect(plan.params).toMatchObject({ lambda: 0.1, steps: 150, lr: 5e-3, norm: 'l2', selection: 'last', compensate: true });
    const trace = plan.trace.filter((t) => t.kind === 'dress-step');
    expect(trace).toHaveLength(150);
    const [first, last] = [trace[0], trace[trace.length - 1]] as { sliceNorm: number; loss: number }[];
    expect(last.sliceNorm).toBeLessThan(0.5 * first.sliceNorm);
    const regularized = applyPlan(spec, plan);
    const uncompensated = applyPlan(spec, { ...plan, hiddenChannels: { ...plan.hiddenChannels!, compensateNorm: false } });
    expect(regularized.config.hiddenSize).toBe(48);
    const [pplDirect, pplDress, pplDressNoComp] = [await heldOutPpl(direct), await heldOutPpl(regularized), await heldOutPpl(uncompensated)];
    console.log(
      `25% hidden channels, held-out ppl: direct ${pplDirect.toFixed(3)}, DReSS ${pplDress.toFixed(3)} (compensated) / ${pplDressNoComp.toFixed(3)} (not); ` +
        `dense ${(await heldOutPpl(spec)).toFixed(3)}; slice norm ${first.sliceNorm.toFixed(3)} → ${last.sliceNorm.toFixed(3)}`,
    );
    expect(pplDress).toBeLessThan(pplDirect);
    expect(pplDressNoComp).toBeLessThan(pplDirect);

    // The same recovery budget for both: 40 LoRA steps on text neither was regularized on.
    const ids = loadStoriesTokenizer().encode(readFileSync(TINYSTORIES_TEXT, 'utf8')).ids;
    const train = ids.slice(Math.floor(ids.length * 0.4), Math.floor(ids.length * 0.8));
    const recover = async (s: ModelSpec) => {
      const t = await createTrainer(s, { backend: 'cpu', trainable: () => false, lora: { rank: 8, alpha: 16, targets: (w) => /layers\.\d+\.(self_attn|mlp)\./.test(w) }, batch: 8, seqLen: 64, lr: 3e-3, totalSteps: 40, warmupSteps: 4 });
      for (let k = 0; k < 40; k++) await t.step(Array.from({ length: 8 }, (_, r) => Int32Array.from(train.slice((k * 8 + r) * 64, (k * 8 + r + 1) * 64))));
      const out = editWeights(s, {}, Object.fromEntries(await t.weights()));
      await t.dispose();
      return heldOutPpl(out);
    };
    const [afterDirect, afterDress] = [await recover(direct), await recover(regularized)];
    console.log(`after 40 LoRA steps: direct ${afterDirect.toFixed(3)}, DReSS ${afterDress.toFixed(3)}`);
    expect(afterDress).toBeLessThan(afterDirect);
  }, 600_000);
});
