// Know before you run, through the Lab: with memoryLimitBytes lowered below what a job needs, the job
// is refused up front (LabError 'insufficient-memory' with the figures), no session is created, and the
// lab keeps working for jobs that fit. stories260K (safetensors: no import check, so no session at load).

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { Lab } from '../../src/lab/lab';
import type { Engine } from '../../src/runtime/engine';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const tinyStories = { kind: 'file', name: 'tinystories-valid-sample.txt', text } as const;
const LIMIT = 20e6;

async function refusal(job: Promise<unknown>): Promise<LabError> {
  const error = await job.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LabError);
  expect((error as LabError).code).toBe('insufficient-memory');
  return error as LabError;
}

describe('a Lab with memoryLimitBytes below what an eval needs (stories260K)', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text, memoryLimitBytes: LIMIT });
  const sessions = () => (lab as unknown as { current: { engine: Engine } }).current.engine.sessionsCreated;
  afterAll(() => lab.dispose());

  it('loads, and the model summary carries the weights and the limit', async () => {
    const summary = await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    expect(summary.memory).toEqual({ weightsBytes: 260_032 * 4, precision: 'fp32', sharedOnDevice: false, limitBytes: LIMIT, limitSource: 'memoryLimitBytes (CLI --memory-limit-gb)' });
    expect(sessions()).toBe(0);
  });

  it('refuses an eval of 8 windows per batch before creating any session, with the figures', async () => {
    const error = await refusal(lab.evaluatePerplexity({ text: tinyStories, seqLen: 256, maxWindows: 8 }));
    // 3 session copies of 1.04 MB of fp32 weights; 8 × 256 tokens: attention scores 33.6 MB, logits 8.4 MB, …
    expect(error.message).toContain(
      'Not enough memory for perplexity: needed: weights 3.12 MB (fp32, 3 session copies) + KV 0.00 MB + activations 49.3 MB (8 windows × 256 tokens) = 52.4 MB; allowed: 20.0 MB by memoryLimitBytes (CLI --memory-limit-gb).',
    );
    expect(error.message).toContain('fewer windows: at most 2 (maxWindows 2, CLI --max-windows 2)');
    expect(error.details).toMatchObject({
      job: 'perplexity',
      weightsBytes: 3_120_384,
      kvCacheBytes: 0,
      activationBytes: 49_315_840,
      totalBytes: 52_436_224,
      limitBytes: LIMIT,
      limit: 'total',
      limitKind: 'wasm',
    });
    expect(sessions()).toBe(0);
  });

  it('refuses the whole text too (the batch is what counts), and a SparseGPT prune at its calibration', async () => {
    await refusal(lab.evaluatePerplexity({ text: tinyStories, seqLen: 256 }));
    const prune = await refusal(lab.prune({ methodId: 'sparsegpt', params: { sparsity: 0.5 }, calibration: { text: tinyStories, windows: 64 } }));
    expect(prune.details.job).toBe('prune (calibration)');
    expect(prune.message).toMatch(/fewer calibration windows|shorter windows/);
    expect(sessions()).toBe(0);
  });

  it('still runs the jobs that fit: an eval of 2 windows, and a few generated tokens', async () => {
    const r = await lab.evaluatePerplexity({ text: tinyStories, seqLen: 256, maxWindows: 2 });
    expect(r.windows).toBe(2);
    expect(Number.isFinite(r.ppl)).toBe(true);
    const g = await lab.generate({ prompt: 'Once upon a time', maxNewTokens: 5 });
    expect(g.newTokens).toBe(5);
    expect(sessions()).toBeGreaterThan(0);
  });
});

describe('without memoryLimitBytes', () => {
  it('the same eval runs (stories260K is far below the 4 GiB wasm32 heap)', async () => {
    const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
    const summary = await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    expect(summary.memory).toMatchObject({ limitBytes: 4 * 1024 ** 3, limitSource: 'the wasm32 heap (4 GiB)' });
    const r = await lab.evaluatePerplexity({ text: tinyStories, seqLen: 256, maxWindows: 8 });
    expect(r.windows).toBe(8);
    await lab.dispose();
  });
});
