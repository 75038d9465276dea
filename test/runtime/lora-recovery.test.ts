// LoRA recovery fine-tuning on stories260K (graph/lora-graph.ts + runtime/trainer.ts): adapters start at
// the base model (B = 0); the merged weights compute what the adapters did; masked LoRA keeps every
// pruned weight exactly zero; recovery lowers the held-out perplexity of a Wanda-pruned (50%) and of a
// SLEB-pruned (1 block) model. Training text: the 40–80% slice of the TinyStories sample; evaluation: the
// last 20% (test/pruning/helpers/stories.ts), never trained on.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blockLinearNames, type ModelSpec } from '../../src/model/model-spec';
import { applyPlan, editWeights } from '../../src/pruning/apply-plan';
import { sleb } from '../../src/pruning/methods/sleb';
import { wanda } from '../../src/pruning/methods/wanda';
import { createEngine } from '../../src/runtime/engine';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createTrainer, type Trainer } from '../../src/runtime/trainer';
import { loadStoriesTokenizer, TINYSTORIES_TEXT } from '../oracles/stories260k';
import { context, heldOutPpl, stories, storiesSpec as spec } from '../pruning/helpers/stories';

useNativeOrt();
const ids = loadStoriesTokenizer().encode(readFileSync(TINYSTORIES_TEXT, 'utf8')).ids;
const trainIds = ids.slice(Math.floor(ids.length * 0.4), Math.floor(ids.length * 0.8));
const [BATCH, LEN] = [8, 64];
const batchAt = (step: number): Int32Array[] =>
  Array.from({ length: BATCH }, (_, r) => {
    const start = ((step * BATCH + r) * 997) % (trainIds.length - LEN);
    return Int32Array.from(trainIds.slice(start, start + LEN));
  });

const linears = (s: ModelSpec) => new Set(s.layers.flatMap((_, i) => blockLinearNames(s, i)));

async function recover(pruned: ModelSpec, steps: number): Promise<{ merged: ModelSpec; trainer: Trainer }> {
  const targets = linears(pruned);
  const trainer = await createTrainer(pruned, {
    backend: 'cpu',
    trainable: () => false,
    lora: { rank: 8, alpha: 16, targets: (w) => targets.has(w) },
    batch: BATCH,
    seqLen: LEN,
    lr: 3e-3,
    warmupSteps: 5,
    totalSteps: steps,
    schedule: 'cosine',
  });
  for (let s = 0; s < steps; s++) await trainer.step(batchAt(s));
  const merged = editWeights(pruned, {}, Object.fromEntries(await trainer.weights()));
  return { merged, trainer };
}

describe('LoRA recovery', () => {
  it('starts at the base model; merged weights compute what the adapters computed', async () => {
    const targets = linears(spec);
    const trainer = await createTrainer(spec, { backend: 'cpu', trainable: () => false, lora: { rank: 4, alpha: 8, targets: (w) => targets.has(w) }, batch: 4, seqLen: 32, lr: 5e-3, totalSteps: 6, schedule: 'constant' });
    expect(trainer.params.length).toBe(2 * 35); // A and B for 5 blocks × 7 linears
    const probe = batchAt(999).slice(0, 4).map((w) => w.subarray(0, 32));
    const engine = await createEngine(spec, { backend: 'cpu' });
    const baseNll = (await engine.scoreWindows(probe)).reduce((a, b) => a + b, 0) / 4;
    expect(Math.abs((await trainer.loss(probe)) - baseNll)).toBeLessThan(1e-5); // B = 0
    for (let s = 0; s < 6; s++) await trainer.step(batchAt(s).slice(0, 4).map((w) => w.subarray(0, 32)));
    const adapted = await trainer.loss(probe);
    expect(Math.abs(adapted - baseNll)).toBeGreaterThan(1e-3); // the adapters changed the model
    const merged = editWeights(spec, {}, Object.fromEntries(await trainer.weights()));
    const mergedEngine = await createEngine(merged, { backend: 'cpu' });
    const mergedNll = (await mergedEngine.scoreWindows(probe)).reduce((a, b) => a + b, 0) / 4;
    expect(Math.abs(mergedNll - adapted)).toBeLessThan(1e-4);
    await Promise.all([engine.dispose(), mergedEngine.dispose(), trainer.dispose()]);
  });

  it('Wanda 50%: masked LoRA keeps every pruned weight exactly zero and lowers held-out perplexity', async () => {
    const pruned = applyPlan(spec, await wanda.run(context(stories(16, 128)), { sparsity: 0.5 }));
    const before = await heldOutPpl(pruned);
    const { merged, trainer } = await recover(pruned, 60);
    expect(trainer.params.every((p) => p.lora?.target.masked)).toBe(true);
    let zeros = 0;
    for (const name of linears(pruned)) {
      const [p, m] = [pruned.weights.get(name)!.data, merged.weights.get(name)!.data];
      for (let i = 0; i < p.length; i++)
        if (p[i] === 0) {
          zeros++;
          if (m[i] !== 0) throw new Error(`${name}[${i}] was pruned and is ${m[i]} after the merge`);
        }
    }
    expect(zeros).toBeGreaterThan(0.49 * [...linears(pruned)].reduce((n, name) => n + pruned.weights.get(name)!.data.length, 0));
    const after = await heldOutPpl(merged);
    console.log(`Wanda 50%: held-out ppl ${before.toFixed(4)} → ${after.toFixed(4)} after 60 LoRA steps (dense: ${(await heldOutPpl(spec)).toFixed(4)})`);
    expect(after).toBeLessThan(before);
    await trainer.dispose();
  }, 300_000);

  it('SLEB 1 block: LoRA recovery lowers held-out perplexity', async () => {
    const plan = await sleb.run(context(stories(8, 128)), { blocks: 1 });
    const pruned = applyPlan(spec, plan);
    expect(pruned.layers.length).toBe(4);
    const before = await heldOutPpl(pruned);
    const { merged, trainer } = await recover(pruned, 60);
    expect(trainer.params.every((p) => !p.lora?.target.masked)).toBe(true);
    const after = await heldOutPpl(merged);
    console.log(`SLEB 1 block: held-out ppl ${before.toFixed(4)} → ${after.toFixed(4)} after 60 LoRA steps`);
    expect(after).toBeLessThan(before);
    await trainer.dispose();
  }, 300_000);
});
