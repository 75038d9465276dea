// Lab.benchmarkGpu on stories260K in Node (WASM: no bandwidth, so no bound): prefill and decode, the context
// sweep's points ascending to the cap with positive times, the model's byte figures (weights at the held
// precision, KV bytes per token from its blocks), refusals (which, no pruned model yet, a context past the
// model, a job too large for the memory limit), the pruned model measured with its own (smaller) figures;
// and the call through LabClient ⇄ serveLabApi with progress and cancel.

import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import { LabClient, serveLabApi, type LabPort } from '../../src/lab/lab-client';
import type { GpuBenchProgress } from '../../src/lab/lab-api';
import { stories260KLayouts } from '../helpers/model-files';
import { FakeLab } from './fake-lab';

const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });
afterAll(() => lab.dispose());

describe('Lab.benchmarkGpu', () => {
  it('measures prefill, decode and decode against context of the loaded and the pruned model', async () => {
    const summary = await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    const request = { promptTokens: 8, genTokens: 2, runs: 1, warmupRuns: 0, upToTokens: 64, points: 4 };
    await expect(lab.benchmarkGpu({ ...request, which: 'pruned' })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/no pruned model yet/) });
    await expect(lab.benchmarkGpu({ ...request, which: 'other' as never })).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(lab.benchmarkGpu({ ...request, contexts: [16, summary.maxPositionEmbeddings] })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/exceeds the model's context/) });
    await expect(lab.benchmarkGpu({ ...request, promptTokens: summary.maxPositionEmbeddings })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/^benchmarkGpu: promptTokens/) });
    await expect(lab.benchmarkGpu({ ...request, upToTokens: 0 })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/"up to" must be a whole number/) });

    const progress: GpuBenchProgress[] = [];
    const r = await lab.benchmarkGpu(request, { onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({ which: 'loaded', backend: 'wasm', precision: 'fp32', bandwidth: null, peakGpuBytes: null, promptTokens: 8, genTokens: 2, runs: 1, modelName: summary.name, weightsHash: summary.weightsHash });
    expect(r.bandwidthNote).toMatch(/no GPU to probe on wasm/);
    expect(r.sweep.map((p) => p.contextTokens)).toEqual([16, 25, 40, 64]);
    for (const p of r.sweep) {
      expect(p.msPerToken.median).toBeGreaterThan(0);
      expect(p.tokensPerS.median).toBeCloseTo(1000 / p.msPerToken.median, 6);
      expect(p.bound).toBeNull();
    }
    expect(r.decode).toMatchObject({ contextTokens: 8, bound: null });
    expect(r.decode.tokensPerS.median).toBeGreaterThan(0);
    expect(r.prefillMs.median).toBeGreaterThan(0);
    expect(r.weightsBytes).toBe(summary.memory.weightsBytes);
    expect(r.kvBytesPerToken).toBe(2 * summary.numLayers * summary.numKvHeads * summary.headDim * 4);
    expect(r.layers).toBe(5);
    expect(typeof r.userAgent === 'string' || r.userAgent === null).toBe(true);
    // progress: prefill-decode first, then sweep points 1..4 in order, fractions never going back
    expect(progress[0].phase).toBe('prefill-decode');
    const points = progress.filter((p) => p.phase === 'sweep').map((p) => p.point);
    expect([...new Set(points)]).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < progress.length; i++) expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);
    expect(progress.at(-1)!.fraction).toBeLessThanOrEqual(1);

    await lab.prune({ methodId: 'drop-blocks', params: { blocks: '1,2' }, calibration: { text: { kind: 'file', name: 'x.txt', text: 'x' } } });
    const pruned = await lab.benchmarkGpu({ ...request, contexts: [16, 32] });
    const prunedRun = await lab.benchmarkGpu({ ...request, contexts: [16, 32], which: 'pruned' });
    expect(pruned.layers).toBe(5);
    expect(prunedRun).toMatchObject({ which: 'pruned', layers: 3, weightsHash: summary.weightsHash });
    expect(prunedRun.kvBytesPerToken).toBe((pruned.kvBytesPerToken * 3) / 5);
    expect(prunedRun.weightsBytes).toBeLessThan(pruned.weightsBytes);
    expect(prunedRun.parameters).toBeLessThan(pruned.parameters);
    expect(prunedRun.sweep.map((p) => p.contextTokens)).toEqual([16, 32]);
  });

  it('refuses a sweep too large for the memory limit before running it (the quick benchmark alone fits)', async () => {
    const small = new Lab({ preferWebGpu: false, loadText: async () => '', memoryLimitBytes: 4 * 1024 ** 2 });
    try {
      await small.loadModel(await stories260KLayouts['safetensors checkpoint']());
      await expect(small.benchmark({ promptTokens: 8, genTokens: 2, runs: 1 })).resolves.toMatchObject({ promptTokens: 8 });
      await expect(small.benchmarkGpu({ promptTokens: 8, genTokens: 2, runs: 1, contexts: [400] })).rejects.toMatchObject({
        code: 'insufficient-memory',
        message: expect.stringContaining('GPU benchmark (decode after 400 tokens of context)'),
      });
    } finally {
      await small.dispose();
    }
  });
});

describe('benchmarkGpu through the worker protocol', () => {
  it('forwards progress and the result, and a cancel rejects with cancelled', async () => {
    const channel = new MessageChannel();
    const fake = new FakeLab();
    serveLabApi(fake, channel.port2 as unknown as LabPort);
    const client = new LabClient(channel.port1 as unknown as LabPort);
    try {
      await client.loadModel([{ path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) }]);
      const seen: number[] = [];
      const r = await client.benchmarkGpu({ contexts: [16, 32], promptTokens: 4 }, { onProgress: (p) => seen.push(p.point ?? 0) });
      expect(seen).toEqual([1, 2]);
      expect(r.sweep.map((p) => p.contextTokens)).toEqual([16, 32]);
      expect(r.decode.contextTokens).toBe(4);
      fake.windowDelayMs = 30;
      const controller = new AbortController();
      const running = client.benchmarkGpu({ contexts: [16, 32, 64] }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 10);
      await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
