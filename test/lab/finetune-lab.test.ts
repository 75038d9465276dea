// Lab.finetune on the real stories260K (WASM, as the worker runs it without WebGPU): recovery of a
// Wanda-pruned model with masked LoRA lowers the held-out perplexity and the export keeps its zeros;
// cancel after some steps keeps those steps' weights; full fine-tuning; bad requests and the memory check.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader, readSafetensorsTensor } from '../../src/formats/safetensors';
import { Lab } from '../../src/lab/lab';
import type { FinetuneProgress } from '../../src/lab/lab-api';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const calibration = { text: { kind: 'file', name: 'calib.txt', text: text.slice(0, 60_000) } as const, windows: 8, seqLen: 128 };
const trainText = { kind: 'file', name: 'train.txt', text: text.slice(60_000, 260_000) } as const;

async function safetensorsOf(files: { path: string; blob: Blob }[]): Promise<Map<string, Float32Array>> {
  const file = files.find((f) => f.path === 'model.safetensors')!;
  const header = await readSafetensorsHeader({ path: file.path, blob: file.blob });
  const out = new Map<string, Float32Array>();
  for (const name of header.entries.keys()) out.set(name, await readSafetensorsTensor(header, name));
  return out;
}

describe('Lab.finetune', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  beforeAll(async () => {
    await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
  });
  afterAll(() => lab.dispose());

  it('Wanda 50% then masked LoRA: held-out ppl falls, live steps, the export keeps every pruned zero', async () => {
    await lab.prune({ methodId: 'wanda', params: { sparsity: 0.5 }, calibration });
    const progress: FinetuneProgress[] = [];
    const r = await lab.finetune({ text: trainText, steps: 25, batch: 8, seqLen: 64, evalWindows: 8 }, { onProgress: (p) => progress.push(p) });
    expect(r.which).toBe('pruned');
    expect(r.mode).toBe('lora');
    expect(r.lora).toEqual({ rank: 8, alpha: 16, masked: true });
    expect(r.steps).toBe(25);
    expect(r.stoppedEarly).toBe(false);
    expect(r.trace.map((t) => t.step)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(progress.filter((p) => p.phase === 'training' && p.step).length).toBe(25);
    expect(r.pplAfter!.ppl).toBeLessThan(r.pplBefore!.ppl);
    expect(r.trainTokens / r.heldOutTokens).toBeCloseTo(3, 1);

    const pruned = await safetensorsOf(await lab.exportModel({ which: 'pruned', format: 'safetensors' }));
    const tuned = await safetensorsOf(await lab.exportModel({ which: 'finetuned', format: 'safetensors' }));
    let zeros = 0;
    let changed = 0;
    for (const [name, p] of pruned) {
      if (!/layers\.\d+\.(self_attn|mlp)\./.test(name)) continue;
      const t = tuned.get(name)!;
      for (let i = 0; i < p.length; i++) {
        if (p[i] === 0) {
          zeros++;
          expect(t[i]).toBe(0);
        } else if (t[i] !== p[i]) changed++;
      }
    }
    expect(zeros).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(0);
  }, 240_000);

  it('cancel after 3 steps keeps the weights of those steps; full fine-tuning trains every block weight', async () => {
    const controller = new AbortController();
    const r = await lab.finetune(
      { which: 'loaded', text: trainText, steps: 50, batch: 4, seqLen: 32, evalWindows: 2, lora: null },
      { signal: controller.signal, onProgress: (p) => p.step?.step === 3 && controller.abort() },
    );
    expect(r.mode).toBe('full');
    expect(r.stoppedEarly).toBe(true);
    expect(r.steps).toBe(3);
    expect(r.pplAfter).toBeNull();
    expect(r.trainedParameters).toBe(260_032 - 512 * 64 - 64); // everything but the embedding and final norm
    const files = await lab.exportModel({ which: 'finetuned', format: 'safetensors' });
    expect(files.some((f) => f.path === 'model.safetensors')).toBe(true);
  }, 120_000);

  it('trainEmbeddings: LoRA leaves the (tied) embedding as it was unless asked; asked, it trains in full beside the adapters', async () => {
    const embed = 'model.embed_tokens.weight';
    const original = (await safetensorsOf(await lab.exportModel({ which: 'loaded', format: 'safetensors' }))).get(embed)!;
    const base = { which: 'loaded' as const, text: trainText, steps: 2, batch: 2, seqLen: 32, evalWindows: 0, lora: { rank: 2, alpha: 4 } };
    const frozen = await lab.finetune(base);
    expect(frozen.trainEmbeddings).toBe(false);
    const moved = async () => {
      const tuned = (await safetensorsOf(await lab.exportModel({ which: 'finetuned', format: 'safetensors' }))).get(embed)!;
      return tuned.some((x, i) => x !== original[i]);
    };
    expect(await moved()).toBe(false);
    const trained = await lab.finetune({ ...base, trainEmbeddings: true });
    expect(trained.trainEmbeddings).toBe(true);
    expect(trained.trainedParameters).toBe(frozen.trainedParameters + 512 * 64);
    expect(await moved()).toBe(true);
    await expect(lab.finetune({ ...base, trainEmbeddings: 'yes' as unknown as boolean })).rejects.toThrow(/trainEmbeddings must be true or false/);
  }, 120_000);

  it('refuses bad requests and jobs that cannot fit, with the reason', async () => {
    await expect(lab.finetune({ which: 'loaded', text: trainText, steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(lab.finetune({ which: 'loaded', text: trainText, steps: 2, lr: 3 })).rejects.toThrow(/lr must be in/);
    await expect(lab.finetune({ which: 'loaded', text: trainText, steps: 2, lora: { rank: 0, alpha: 1 } })).rejects.toThrow(/rank/);
    const small = new Lab({ preferWebGpu: false, loadText: async () => text, memoryLimitBytes: 60e6 });
    await small.loadModel(await stories260KLayouts['safetensors checkpoint']());
    const error = await small.finetune({ which: 'loaded', text: trainText, steps: 2, batch: 64, seqLen: 256 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'insufficient-memory' });
    expect(String((error as Error).message)).toContain('fine-tuning');
    expect(String((error as Error).message)).toContain('smaller batch');
    await small.dispose();
  }, 120_000);
});
