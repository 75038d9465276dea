// Lab.prune on the real stories260K: consistent result fields, the loaded model kept, the pruned
// model's ppl equal to the gated-NLL ppl of the same blocks, speed in the same run, cancellation,
// bad input, exclusive export of the pruned model.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import type { PruneProgress } from '../../src/lab/lab-api';
import { loadModelFromFiles } from '../../src/model/load-model';
import { cutWindows } from '../../src/evaluation/perplexity';
import { createCalibrationRunner } from '../../src/runtime/calibration-runner';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const calibText = { kind: 'file', name: 'calib.txt', text: text.slice(0, 60_000) } as const;
const evalText = { kind: 'file', name: 'heldout.txt', text: text.slice(-40_000) } as const;
const calibration = { text: calibText, windows: 8, seqLen: 128 };

describe('Lab.prune', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  beforeAll(async () => {
    await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
  });
  afterAll(() => lab.dispose());

  it('SLEB: consistent fields; the loaded model is kept; pruned ppl = gated-NLL ppl of the same blocks', async () => {
    const progress: PruneProgress[] = [];
    const evaluation = { text: evalText, seqLen: 128, maxWindows: 6 };
    const r = await lab.prune({ methodId: 'sleb', params: { blocks: 2 }, calibration, evaluation }, { onProgress: (p) => progress.push(p) });
    expect(r.methodId).toBe('sleb');
    expect(r.params).toEqual({ blocks: 2, protectEnds: true });
    expect(r.removedBlocks).toHaveLength(2);
    expect([r.layersBefore, r.layersAfter]).toEqual([5, 3]);
    expect(r.overallSparsity).toBe(0);
    expect(r.blockSparsity).toEqual([0, 0, 0]);
    expect(r.layerSparsity).toHaveLength(3 * 7);
    expect(r.parametersBefore).toBe(260_032);
    expect(r.parametersBefore - r.parametersAfter).toBe(2 * (260_032 - 512 * 64 - 64) / 5);
    expect(r.calibration).toEqual({ windows: 8, seqLen: 128, sampling: 'first', seed: 0, textName: 'calib.txt' });
    expect(r.trace.map((t) => t.kind)).toEqual(['sleb-step', 'sleb-step']);
    expect(r.stats).toMatchObject({ forwardPasses: 5, sessionsCreated: 1 });
    expect(r.speedBefore).toBeNull();
    expect(r.speedNote).toMatch(/5 → 3 blocks: ideal speed-up 1\.67×/);
    // Progress: phases in order, fractions non-decreasing to 1, live SLEB candidates.
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['calibration-data', 'planning', 'applying', 'evaluating-dense', 'evaluating-pruned']);
    progress.forEach((p, i) => i > 0 && expect(p.fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction));
    expect(progress.at(-1)!.fraction).toBe(1);
    expect(progress.filter((p) => p.trace?.kind === 'sleb-step')).toHaveLength(3 + 1 + 2 + 1);
    // The loaded model is unchanged and its perplexity is the dense one.
    expect((await lab.modelSummary())!.numLayers).toBe(5);
    const dense = await lab.evaluatePerplexity(evaluation);
    expect(r.pplBefore!.ppl).toBe(dense.ppl);
    expect(r.pplAfter!.windows).toBe(6);
    expect(r.pplAfter!.ppl).toBeGreaterThan(r.pplBefore!.ppl);
    // Same held-out windows through the gated graph of the dense model with the removed gates closed.
    const loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
    const tokenizer = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
    const windows = cutWindows(tokenizer.encode(evalText.text), 128, 6);
    const runner = createCalibrationRunner({ backend: 'wasm' });
    const gates = [0, 1, 2, 3, 4].map((i) => (r.removedBlocks.includes(i) ? 0 : 1));
    const gatedPpl = Math.exp((await runner.gatedNll(loaded.spec, windows, gates)) / (6 * 127));
    await runner.dispose();
    expect(Math.abs(r.pplAfter!.ppl - gatedPpl) / gatedPpl).toBeLessThan(1e-5);
    // A second run with the same evaluation reuses the dense result; same seed → same plan.
    const again = await lab.prune({ methodId: 'sleb', params: { blocks: 2 }, calibration, evaluation });
    expect(again.pplBefore).toBe(r.pplBefore);
    expect(again.removedBlocks).toEqual(r.removedBlocks);
    expect(again.trace).toEqual(r.trace);
  });

  it('Wanda: measured sparsity, no blocks removed, a plain no-speed-up note; random calibration is deterministic', async () => {
    const request = { methodId: 'wanda', params: { sparsity: 0.5 }, calibration: { ...calibration, sampling: 'random' as const, seed: 3 } };
    const r = await lab.prune(request);
    expect(Math.abs(r.overallSparsity - 0.5)).toBeLessThan(0.01);
    expect(r.removedBlocks).toEqual([]);
    expect(r.layersAfter).toBe(5);
    expect(r.parametersAfter).toBe(r.parametersBefore);
    expect(r.speedNote).toMatch(/no speed-up/);
    expect(r.calibration).toMatchObject({ sampling: 'random', seed: 3 });
    const again = await lab.prune(request);
    expect(again.layerSparsity).toEqual(r.layerSparsity);
  });

  it('speed dense vs pruned in the same run; windows capped at what the text allows', async () => {
    const r = await lab.prune({
      methodId: 'shortgpt',
      params: { blocks: 2 },
      calibration: { text: calibText, windows: 100_000, seqLen: 128 },
      speed: { promptTokens: 16, genTokens: 8, runs: 2, warmupRuns: 1 },
    });
    expect(r.removedBlocks).toHaveLength(2);
    const loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
    const calibTokens = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig).encode(calibText.text).length;
    expect(r.calibration.windows).toBe(Math.floor(calibTokens / 128));
    for (const s of [r.speedBefore!, r.speedAfter!]) {
      expect(s.runs).toBe(2);
      expect(s.decodeTokensPerS.median).toBeGreaterThan(0);
      expect(s.promptTokens).toBe(16);
    }
    expect(r.speedNote).toMatch(/5 → 3 blocks: ideal speed-up 1\.67×/);
  });

  it('cancellation between steps → cancelled, and the lab keeps working; bad input is named', async () => {
    const controller = new AbortController();
    const run = lab.prune(
      { methodId: 'sleb', params: { blocks: 2 }, calibration },
      { signal: controller.signal, onProgress: (p) => (p.phase === 'planning' ? controller.abort() : undefined) },
    );
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    await expect(lab.exportModel({ which: 'pruned', format: 'safetensors' })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/no pruned model/) });
    await expect(lab.prune({ methodId: 'nope', params: {}, calibration })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/known: magnitude/) });
    await expect(lab.prune({ methodId: 'sleb', params: {}, calibration: { text: { kind: 'file', name: 'tiny.txt', text: 'Once upon a time.' } } })).rejects.toMatchObject({
      code: 'bad-text',
      message: expect.stringMatching(/^tiny\.txt: \d+ tokens is shorter than one calibration window of 256 tokens/),
    });
    // Data-free methods do not read the calibration text at all.
    const ok = await lab.prune({ methodId: 'drop-blocks', params: { blocks: '0' }, calibration: { text: { kind: 'file', name: 'tiny.txt', text: '' } } });
    expect(ok.layersAfter).toBe(4);
    expect(ok.calibration).toMatchObject({ windows: 0, textName: 'tiny.txt' });
    expect((await lab.evaluatePerplexity({ text: evalText, maxWindows: 1 })).windows).toBe(1);
    expect(await lab.methods()).toHaveLength(11);
  });
});
