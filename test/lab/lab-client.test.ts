// LabClient ⇄ serveLabApi over a real MessageChannel (structured clone, as between page and worker).

import { afterEach, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { LabClient, serveLabApi, type LabPort } from '../../src/lab/lab-client';
import type { PerplexityProgress, PruneProgress } from '../../src/lab/lab-api';
import { FakeLab } from './fake-lab';

let channel: MessageChannel;
function connect(lab = new FakeLab()) {
  channel = new MessageChannel();
  serveLabApi(lab, channel.port2 as unknown as LabPort);
  return { lab, client: new LabClient(channel.port1 as unknown as LabPort) };
}
afterEach(() => {
  channel.port1.close();
  channel.port2.close();
});

const modelFiles = () => [
  { path: 'config.json', blob: new Blob(['{"model_type":"llama"}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(100)]) },
];

describe('LabClient over postMessage', () => {
  it('returns results, and Blobs arrive in the worker with their bytes and paths', async () => {
    const { lab, client } = connect();
    expect((await client.backendInfo()).backend).toBe('wasm');
    expect(await client.modelSummary()).toBeNull();
    const summary = await client.loadModel(modelFiles());
    expect(summary.fileBytes).toBe(22 + 100);
    expect(lab.receivedFiles.map((f) => f.path)).toEqual(['config.json', 'onnx/model.onnx']);
    expect((await client.modelSummary())?.name).toBe('config.json,onnx/model.onnx');
  });

  it('forwards every progress report before the result', async () => {
    const { client } = connect();
    await client.loadModel(modelFiles());
    const seen: PerplexityProgress[] = [];
    const result = await client.evaluatePerplexity({ text: { kind: 'bundled', id: 'tinystories' }, seqLen: 11, maxWindows: 4 }, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.windowsDone)).toEqual([1, 2, 3, 4]);
    expect(seen[3].runningPpl).toBeCloseTo(result.ppl, 12);
    expect(result.nll).toBeCloseTo((1 + 2 + 3 + 4) / 4, 12);
  });

  it('rethrows worker errors as LabError with code, message and details', async () => {
    const { client } = connect();
    const error = await client.loadModel([{ path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(2)]) }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('not-a-model');
    expect((error as LabError).message).toContain('onnx/model.onnx');
    expect((error as LabError).details).toEqual({ path: 'onnx/model.onnx' });
  });

  it('cancels a running job through its AbortSignal, then serves the next call', async () => {
    const { client } = connect();
    await client.loadModel(modelFiles());
    const controller = new AbortController();
    const windowsSeen: number[] = [];
    const error = await client
      .evaluatePerplexity({ text: { kind: 'bundled', id: 'wikitext2' } }, {
        signal: controller.signal,
        onProgress: (p) => {
          windowsSeen.push(p.windowsDone);
          if (p.windowsDone === 2) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect((error as LabError).code).toBe('cancelled');
    expect(windowsSeen.length).toBeLessThan(6);
    const again = await client.evaluatePerplexity({ text: { kind: 'bundled', id: 'wikitext2' }, maxWindows: 1 });
    expect(again.windows).toBe(1);
  });

  it('rejects at once for an already aborted signal', async () => {
    const { client } = connect();
    const controller = new AbortController();
    controller.abort();
    await expect(client.generate({ prompt: 'x' }, { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('failAll rejects calls in flight (a crashed worker) with the given error', async () => {
    const lab = new FakeLab();
    lab.windowDelayMs = 50;
    const { client } = connect(lab);
    await client.loadModel(modelFiles());
    const pending = client.evaluatePerplexity({ text: { kind: 'bundled', id: 'tinystories' } });
    client.failAll({ code: 'internal', message: 'The lab worker failed.' });
    await expect(pending).rejects.toMatchObject({ code: 'internal', message: 'The lab worker failed.' });
  });

  it('lists methods, streams prune progress with trace entries, and cancels a prune', async () => {
    const lab = new FakeLab();
    const { client } = connect(lab);
    await client.loadModel(modelFiles());
    expect((await client.methods()).map((m) => m.id)).toEqual(['drop-blocks', 'sleb', 'wanda']);
    const calibration = { text: { kind: 'bundled', id: 'tinystories' } as const, windows: 2, seqLen: 8 };
    const seen: PruneProgress[] = [];
    const result = await client.prune({ methodId: 'sleb', params: { numBlocks: 1 }, calibration }, { onProgress: (p) => seen.push(p) });
    expect(seen.filter((p) => p.trace?.kind === 'sleb-step')).toHaveLength(6); // 5 partial reports + the finished step
    expect(result.removedBlocks).toEqual([2]);
    expect(result.trace).toEqual([seen[seen.length - 1].trace]);
    lab.pruneStepDelayMs = 20;
    const controller = new AbortController();
    const error = await client
      .prune({ methodId: 'wanda', params: { sparsity: 0.5 }, calibration }, { signal: controller.signal, onProgress: () => controller.abort() })
      .catch((e: unknown) => e);
    expect((error as LabError).code).toBe('cancelled');
  });

  it('exportModel returns the files as Blobs with their bytes', async () => {
    const { lab, client } = connect();
    const files = await client.exportModel({ which: 'pruned', format: 'safetensors' });
    expect(lab.exportedWhich).toBe('pruned');
    expect(files.map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
    expect(files[0].blob).toBeInstanceOf(Blob);
    expect(await files[0].blob.text()).toBe('{"num_hidden_layers":4}');
    expect(files[1].blob.size).toBe(40);
  });
});
