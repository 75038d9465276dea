// Training on stories260K (runtime/trainer.ts over graph/train-graph.ts): AdamW steps lower the training
// loss; the AdamW graph and the host AdamW both equal AdamW computed by hand (clipping, decay on
// matrices only, bias correction, keep mask); gradient accumulation
// (2 micro-batches of 2) equals one batch of 4; onnxruntime-node cpu and onnxruntime-web WASM agree step
// for step; frozen weights are not in the trainable set; the LR schedule.

import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAdamWGraph } from '../../src/graph/train-graph';
import { sparsify50 } from '../export/onnx-helpers';
import { createSessionFromModel, ort } from '../../src/runtime/ort';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { LoadedModel } from '../../src/model/loaded-model';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { hostAdamWStep } from '../../src/runtime/host-adamw';
import { createTrainer, learningRateAt, type TrainerOptions } from '../../src/runtime/trainer';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

let loaded: LoadedModel;
let tokens: number[];
beforeAll(async () => {
  useNativeOrt();
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  tokens = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig).encode(fs.readFileSync(tinyStoriesPath, 'utf8'));
});

const windowsAt = (start: number, count: number, len: number): Int32Array[] =>
  Array.from({ length: count }, (_, i) => Int32Array.from(tokens.slice(start + i * len, start + (i + 1) * len)));

const blocksOnly = (w: string) => /layers\.\d+\./.test(w);
const base = (o: Partial<TrainerOptions> = {}): TrainerOptions => ({ backend: 'cpu', trainable: blocksOnly, batch: 4, seqLen: 32, lr: 3e-3, totalSteps: 20, schedule: 'constant', ...o });

describe('trainer', () => {
  it('AdamW steps on one batch lower its loss; only the chosen weights change', async () => {
    const trainer = await createTrainer(loaded.spec, base());
    expect(trainer.params.some((p) => p.weight === 'model.embed_tokens.weight')).toBe(false);
    expect(trainer.params.length).toBe(5 * 9);
    const batch = windowsAt(0, 4, 32);
    const losses: number[] = [];
    for (let s = 0; s < 8; s++) {
      const r = await trainer.step(batch);
      expect(r.gradNorm).toBeGreaterThan(0);
      losses.push(r.loss);
    }
    expect(losses[7]).toBeLessThan(losses[0] - 0.05);
    const weights = await trainer.weights();
    const q = loaded.spec.weights.get('model.layers.0.self_attn.q_proj.weight')!;
    const trained = weights.get('model.layers.0.self_attn.q_proj.weight')!;
    expect(trained.length).toBe(q.data.length);
    let moved = 0;
    for (let i = 0; i < trained.length; i++) moved = Math.max(moved, Math.abs(trained[i] - q.data[i]));
    expect(moved).toBeGreaterThan(1e-3);
    expect(moved).toBeLessThan(8 * 3e-3 * 1.01); // Adam moves each coordinate at most ~lr per step
    await trainer.dispose();
  });

  it('2 micro-batches of 2 windows give the same step as 1 batch of 4', async () => {
    const windows = windowsAt(4096, 4, 32);
    const one = await createTrainer(loaded.spec, base({ batch: 4 }));
    const two = await createTrainer(loaded.spec, base({ batch: 2, microBatches: 2 }));
    const [a, b] = [await one.step(windows), await two.step(windows)];
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    expect(Math.abs(a.gradNorm - b.gradNorm)).toBeLessThan(1e-4 * a.gradNorm);
    const [wa, wb] = [await one.weights(), await two.weights()];
    let diff = 0;
    for (const [name, x] of wa) {
      const y = wb.get(name)!;
      for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i] - y[i]));
    }
    // Adam's first step is ~lr·sign(g) per coordinate, so coordinates with gradients near float rounding
    // (|g| ~ eps) may differ by a fraction of lr; 1% of lr bounds it.
    expect(diff).toBeLessThan(0.01 * 3e-3);
    await one.dispose();
    await two.dispose();
  });

  it('onnxruntime-node cpu and onnxruntime-web WASM agree step for step (5 steps, clipping and decay on)', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      const t = await createTrainer(loaded.spec, base({ backend, lr: 2e-3, warmupSteps: 2, schedule: 'cosine', totalSteps: 5, adamw: { maxGradNorm: 0.5, weightDecay: 0.1 } }));
      const out = [];
      for (let s = 0; s < 5; s++) out.push(await t.step(windowsAt(8192 + s * 128, 4, 32)));
      const w = await t.weights();
      await t.dispose();
      return { out, w };
    };
    const [cpu, wasm] = [await run('cpu'), await run('wasm')];
    for (let s = 0; s < 5; s++) {
      expect(Math.abs(cpu.out[s].loss - wasm.out[s].loss), `step ${s + 1}`).toBeLessThan(1e-4);
      expect(cpu.out[s].lr).toBe(wasm.out[s].lr);
    }
    let diff = 0;
    for (const [name, x] of cpu.w) {
      const y = wasm.w.get(name)!;
      for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i] - y[i]));
    }
    expect(diff).toBeLessThan(1e-4);
  });

  // The two AdamW implementations (the graph WebGPU runs, the in-place host loop of the CPU backends)
  // against AdamW by hand in float64, with a keep mask on one matrix.
  it.each(['graph', 'host'] as const)('AdamW (%s) equals AdamW by hand: global-norm clipping, decay on matrices only, bias correction, keep mask', async (impl) => {
    const keepW2 = Uint8Array.of(1, 0, 1, 1, 0, 1);
    const params = [
      { name: 'w2', weight: 'w2', transposed: false, dims: [2, 3], keep: () => keepW2 },
      { name: 'b1', weight: 'b1', transposed: false, dims: [3] },
    ];
    const o = { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, maxGradNorm: 0.7 };
    const rnd = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + k));
    const [t, lr, micro] = [3, 0.01, 2];
    const data: Record<string, Float32Array> = {};
    params.forEach((p, k) => {
      const n = p.dims.reduce((a, b) => a * b, 1);
      data[p.name] = rnd(n, k);
      data[`m.${p.name}`] = rnd(n, k + 10).map((x) => 0.1 * x);
      data[`v.${p.name}`] = rnd(n, k + 20).map((x) => 0.01 * x * x);
      data[`g.${p.name}`] = rnd(n, k + 30).map((x) => 2 * x);
    });
    const got: Record<string, Float32Array> = {};
    let gradNorm: number;
    if (impl === 'graph') {
      const session = await createSessionFromModel(buildAdamWGraph(params, o), { backend: 'cpu' });
      const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
      const feeds: Record<string, ort.Tensor> = { lr: scalar(lr), bias_correction1: scalar(1 - o.beta1 ** t), bias_correction2: scalar(1 - o.beta2 ** t), grad_scale: scalar(1 / micro) };
      for (const p of params) for (const key of [p.name, `m.${p.name}`, `v.${p.name}`, `g.${p.name}`]) feeds[key] = new ort.Tensor('float32', data[key], p.dims);
      const out = await session.run(feeds);
      gradNorm = out.grad_norm.data[0] as number;
      for (const p of params) for (const key of ['', 'm.', 'v.']) got[`${key}${p.name}`] = out[`new${key ? `_${key.slice(0, 1)}` : ''}.${p.name}`].data as Float32Array;
      await session.release();
    } else {
      const copy = (key: string) => (got[key] = Float32Array.from(data[key]));
      const states = params.map((p) => ({ weight: copy(p.name), m: copy(`m.${p.name}`), v: copy(`v.${p.name}`), decay: p.dims.length >= 2, keep: p.keep?.() }));
      gradNorm = hostAdamWStep(states, params.map((p) => data[`g.${p.name}`]), { lr, step: t, gradScale: 1 / micro }, o);
    }
    // By hand, in float64.
    const mean = (name: string) => Array.from(data[`g.${name}`], (x) => x / micro);
    const norm = Math.sqrt(params.reduce((s, p) => s + mean(p.name).reduce((a, x) => a + x * x, 0), 0));
    expect(gradNorm).toBeCloseTo(norm, 5);
    const clip = Math.min(1, o.maxGradNorm / (norm + 1e-6));
    expect(clip).toBeLessThan(1); // clipping is exercised
    for (const p of params) {
      const g = mean(p.name).map((x) => x * clip);
      const m = g.map((x, i) => o.beta1 * data[`m.${p.name}`][i] + (1 - o.beta1) * x);
      const v = g.map((x, i) => o.beta2 * data[`v.${p.name}`][i] + (1 - o.beta2) * x * x);
      const w = m.map((mi, i) => {
        if (p.keep && !p.keep()[i]) return 0;
        const update = mi / (1 - o.beta1 ** t) / (Math.sqrt(v[i] / (1 - o.beta2 ** t)) + o.eps) + (p.dims.length === 2 ? o.weightDecay * data[p.name][i] : 0);
        return data[p.name][i] - lr * update;
      });
      const close = (values: Float32Array, want: number[], what: string) => want.forEach((x, i) => expect(Math.abs(values[i] - x), `${what}[${i}]`).toBeLessThan(1e-6 * (1 + Math.abs(x))));
      close(got[`m.${p.name}`], m, `m.${p.name}`);
      close(got[`v.${p.name}`], v, `v.${p.name}`);
      close(got[p.name], w, p.name);
    }
    expect(got.w2[1]).toBe(0); // masked
  });

  it('full fine-tuning of a sparse model keeps every pruned weight exactly zero (masked AdamW updates)', async () => {
    const sparse = sparsify50(loaded.spec);
    const trainer = await createTrainer(sparse, base({ batch: 2, seqLen: 32 }));
    expect(trainer.params.filter((p) => p.keep).length).toBe(35); // every block linear; norms are dense
    for (let s = 0; s < 3; s++) await trainer.step(windowsAt(s * 64, 2, 32));
    const trained = await trainer.weights();
    let zeros = 0;
    let moved = 0;
    for (const p of trainer.params.filter((q) => q.keep)) {
      const [before, after] = [sparse.weights.get(p.weight)!.data, trained.get(p.weight)!];
      for (let i = 0; i < before.length; i++) {
        if (before[i] === 0) {
          zeros++;
          if (after[i] !== 0) throw new Error(`${p.weight}[${i}] was pruned and is ${after[i]} after training`);
        } else if (after[i] !== before[i]) moved++;
      }
    }
    expect(zeros).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(0);
    await trainer.dispose();
  });

  it('learning rate: linear warm-up, then cosine or linear decay to 0', () => {
    const o = { lr: 1, warmupSteps: 4, totalSteps: 14 };
    expect([1, 2, 4].map((s) => learningRateAt(s, o))).toEqual([0.25, 0.5, 1]);
    expect(learningRateAt(9, o)).toBeCloseTo(0.5, 12); // halfway through the cosine
    expect(learningRateAt(14, o)).toBeCloseTo(0, 12);
    expect(learningRateAt(9, { ...o, schedule: 'linear' })).toBeCloseTo(0.5, 12);
    expect(learningRateAt(20, { ...o, schedule: 'constant' })).toBe(1);
  });

  it('bad arguments are refused with the reason', async () => {
    await expect(createTrainer(loaded.spec, base({ seqLen: 1 }))).rejects.toThrow(/seqLen/);
    await expect(createTrainer(loaded.spec, base({ lr: 0 }))).rejects.toThrow(/lr must be positive/);
    const t = await createTrainer(loaded.spec, base());
    await expect(t.step(windowsAt(0, 3, 32))).rejects.toThrow(/4 windows of 32 tokens/);
    await t.dispose();
  });
});
