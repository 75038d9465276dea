// Block movement pruning on the real stories260K (methods.md §6, acceptance check 18): realised sparsity
// rises with λ_final; the compiled model (masked attention groups and FFN neurons removed) gives the
// logits of the masked model; the groups the scores masked are gone from it; 'uniform' sizes export with
// one head count and FFN size; hard movement reaches its ratio; the hybrid layout runs with 32 × 32 blocks.

import { describe, expect, it } from 'vitest';
import { checkExportable } from '../../src/export/exportable';
import { exportConfig } from '../../src/export/export-config';
import type { ModelSpec } from '../../src/model/model-spec';
import { applyPlan, editWeights } from '../../src/pruning/apply-plan';
import type { PruningContext } from '../../src/pruning/method';
import { movement } from '../../src/pruning/methods/movement';
import type { PruningPlan, TraceEntry } from '../../src/pruning/plan';
import { createEngine } from '../../src/runtime/engine';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createTrainer } from '../../src/runtime/trainer';
import { context, heldOutPpl, stories, storiesSpec as spec } from './helpers/stories';

useNativeOrt();

const withTrainer = (ctx: PruningContext): PruningContext => ({ ...ctx, createTrainer: (s, o) => createTrainer(s, { ...o, backend: 'cpu' }) });
const run = (params: Record<string, number | string | boolean>) => movement.run(withTrainer(context(stories(16, 64))), { steps: 60, ...params });
const last = (plan: PruningPlan) => plan.trace.at(-1) as Extract<TraceEntry, { kind: 'movement-step' }>;

async function logits(s: ModelSpec, ids: number[]): Promise<Float32Array> {
  const engine = await createEngine(s, { backend: 'cpu' });
  const out = await engine.logits(ids);
  await engine.dispose();
  return out;
}

describe('block movement pruning', () => {
  it('realised sparsity rises with λ_final (soft movement)', async () => {
    const sparsity: number[] = [];
    for (const lambda of [0, 3, 12]) sparsity.push(last(await run({ lambda, lr: 0 })).sparsity);
    // With λ = 0 the movement gradient alone masks a few units; the penalty adds more.
    expect(sparsity[1]).toBeGreaterThan(sparsity[0]);
    expect(sparsity[2]).toBeGreaterThan(sparsity[1]);
  }, 300_000);

  it('compiled = masked (≤ 1e-4); masked groups and neurons are gone (per-block sizes); the trace follows the schedule', async () => {
    const plan = await run({ lambda: 8, sizes: 'per-block' });
    const end = last(plan);
    expect(plan.trace).toHaveLength(60);
    expect((plan.trace[0] as typeof end).threshold).toBe(0); // τ starts at 0 (warm-up)
    expect(end.threshold).toBe(0.1);
    const compiled = applyPlan(spec, plan);
    expect(compiled.layers.map((l) => l.numKvHeads)).toEqual(end.groupsKept);
    expect(compiled.layers.map((l) => l.intermediateSize)).toEqual(end.neuronsKept);
    expect(compiled.layers.some((l, i) => l.numKvHeads < spec.layers[i].numKvHeads)).toBe(true);
    const masked = editWeights(spec, plan.masks, plan.updates);
    const ids = [1, 403, 407, 259, 300, 271, 378, 260, 261, 383, 442, 434];
    const [a, b] = [await logits(compiled, ids), await logits(masked, ids)];
    expect(a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0)).toBeLessThan(1e-4);
    // Blocks of different sizes cannot be one config.json.
    expect(checkExportable(compiled).safetensors).toBe(false);
  }, 300_000);

  it("'uniform' sizes: every block the same head count and FFN size, exportable; the model is physically smaller", async () => {
    const plan = await run({ lambda: 8 });
    const compiled = applyPlan(spec, plan);
    const heads = new Set(compiled.layers.map((l) => l.numHeads));
    const ffn = new Set(compiled.layers.map((l) => l.intermediateSize));
    expect([heads.size, ffn.size]).toEqual([1, 1]);
    expect(checkExportable(compiled)).toMatchObject({ safetensors: true, transformersJs: true });
    const config = exportConfig(compiled, null, 'safetensors') as Record<string, number>;
    expect(config.intermediate_size).toBe(compiled.layers[0].intermediateSize);
    expect(config.intermediate_size).toBeLessThan(172);
    expect(await heldOutPpl(compiled)).toBeLessThan(1000); // the pruned model still models text
  }, 300_000);

  it('hard movement keeps the top (1 − ratio); the hybrid layout scores 32 × 32 attention blocks', async () => {
    const hard = last(await run({ binarizer: 'topk', ratio: 0.5, lr: 0 }));
    expect(hard.neuronsKept.every((n) => n === 86)).toBe(true);
    const hybrid = await run({ layout: 'hybrid', lambda: 20, lr: 0, sizes: 'per-block' });
    expect(last(hybrid).sparsity).toBeGreaterThan(0);
    // Masked 32 × 32 blocks of q/k/v/o stay as zeros (or go with a fully masked group): compiled = masked.
    const attention = Object.keys(hybrid.masks).filter((w) => /(q|k|v|o)_proj/.test(w));
    expect(attention.length).toBeGreaterThan(0);
    const ids = [1, 403, 407, 259, 300, 271, 378, 260];
    const [a, b] = [await logits(applyPlan(spec, hybrid), ids), await logits(editWeights(spec, hybrid.masks, hybrid.updates), ids)];
    expect(a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0)).toBeLessThan(1e-4);
  }, 300_000);
});
