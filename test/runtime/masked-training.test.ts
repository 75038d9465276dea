// Training with masks and distillation (movement pruning's engine) on the real stories260K: the mask
// gradient equals central differences of the loss in the mask; a zeroed mask computes the model with
// those weights zeroed; the distillation KL is 0 for the unchanged student and grows when masks cut it;
// cpu and WASM agree.

import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { ModelSpec } from '../../src/model/model-spec';
import { editWeights } from '../../src/pruning/apply-plan';
import { createEngine } from '../../src/runtime/engine';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createTrainer, type TrainerOptions } from '../../src/runtime/trainer';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

let spec: ModelSpec;
let windows: Int32Array[];
beforeAll(async () => {
  useNativeOrt();
  const loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  spec = loaded.spec;
  const ids = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig).encode(fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 20_000));
  windows = [0, 1].map((i) => Int32Array.from(ids.slice(i * 64, (i + 1) * 64)));
});

const down = 'model.layers.1.mlp.down_proj.weight'; // [64, 172]
const q = 'model.layers.2.self_attn.q_proj.weight'; // [64, 64]
const base = (o: Partial<TrainerOptions> = {}): TrainerOptions => ({ backend: 'cpu', trainable: () => false, batch: 2, seqLen: 64, lr: 1e-3, totalSteps: 5, masked: [down, q], ...o });
const ones = (name: string) => new Float32Array(spec.weights.get(name)!.data.length).fill(1);

describe('masked training and distillation', () => {
  it('∂L/∂mask equals central differences of the loss in the mask (both a transposed and a plain value)', async () => {
    // Training a weight makes the graph hold it as an input; q stays a frozen initializer.
    const trainer = await createTrainer(spec, base({ trainable: (w) => w === down }));
    const step = await trainer.loss(windows); // all-ones masks
    const r = await trainer.step(windows, { masks: new Map([[down, ones(down)], [q, ones(q)]]) });
    expect(r.loss).toBeCloseTo(step, 6);
    const grads = r.maskGradients!;
    await trainer.dispose();
    // Fresh trainer (the step above changed `down`): finite differences at the original weights.
    const probe = await createTrainer(spec, base());
    for (const name of [down, q]) {
      const g = grads.get(name)!;
      // The two entries with the largest |gradient|.
      const top = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 2);
      for (const e of top) {
        const h = 0.05;
        const at = async (d: number) => {
          const m = ones(name);
          m[e] = 1 + d;
          return probe.loss(windows, { masks: new Map([[name, m]]) });
        };
        const fd = ((await at(h)) - (await at(-h))) / (2 * h);
        expect(Math.abs(fd - g[e]) / Math.abs(g[e]), `${name}[${e}]: fd ${fd}, graph ${g[e]}`).toBeLessThan(0.05);
      }
    }
    await probe.dispose();
  }, 120_000);

  it('a zero in the mask computes the model with that weight entry zero', async () => {
    const trainer = await createTrainer(spec, base());
    const m = ones(down);
    for (let r = 0; r < 64; r++) for (const c of [3, 50, 171]) m[r * 172 + c] = 0;
    const masked = await trainer.loss(windows, { masks: new Map([[down, m]]) });
    await trainer.dispose();
    const keep = Uint8Array.from(m);
    const engine = await createEngine(editWeights(spec, { [down]: keep }, {}), { backend: 'cpu' });
    const nlls = await engine.scoreWindows(windows);
    await engine.dispose();
    expect(masked).toBeCloseTo((nlls[0] + nlls[1]) / 2, 5);
  }, 120_000);

  it('distillation: KL 0 for the unchanged student, > 0 once masks cut it; cpu and WASM agree', async () => {
    const distill = { temperature: 2, alphaTeacher: 0.9, alphaCe: 0.1 };
    const cut = ones(q);
    cut.fill(0, 0, 16 * 64); // the first two query heads' rows
    const results = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      const trainer = await createTrainer(spec, base({ backend, distill }));
      const same = await trainer.step(windows, { masks: new Map([[q, ones(q)]]) });
      const diff = await trainer.step(windows, { masks: new Map([[q, cut]]) });
      results.push([same.distillKl!, diff.distillKl!, diff.loss]);
      await trainer.dispose();
    }
    const [[kl0, kl1, loss], [wkl0, wkl1, wloss]] = results;
    expect(Math.abs(kl0)).toBeLessThan(1e-5);
    expect(kl1).toBeGreaterThan(1e-3);
    expect(Math.abs(kl1 - wkl1)).toBeLessThan(1e-4 * kl1);
    expect(Math.abs(wkl0)).toBeLessThan(1e-5);
    expect(Math.abs(loss - wloss)).toBeLessThan(1e-4);
  }, 120_000);
});
