// The store's actions against an in-thread LabApi: statuses, live chart points, errors, cancel.

import { describe, expect, it } from 'vitest';
import { appendPoint, isBusy, pointsFromResult } from '../../src/store/lab-state';
import { createLabStore } from '../../src/store/lab-store';
import { FakeLab } from '../lab/fake-lab';

const demo = async () => [
  { path: 'config.json', blob: new Blob(['{}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) },
];
const badModel = [{ path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(1)]) }];

describe('lab store', () => {
  it('start() reads the backend and loads the demo model', async () => {
    const store = createLabStore(new FakeLab());
    await store.getState().start(demo, 'demo');
    const state = store.getState();
    expect(state.backend?.backend).toBe('wasm');
    expect(state.model?.fileBytes).toBe(12);
    expect(state.load).toMatchObject({ status: 'done', source: 'demo' });
    expect(state.error).toBeNull();
  });

  it('setPrecision() asks the lab, keeps what was asked and shows the precision in effect with its reason', async () => {
    const lab = new FakeLab();
    const store = createLabStore(lab);
    await store.getState().start(demo, 'demo');
    expect(store.getState().precisionRequest).toBe('auto');
    await store.getState().setPrecision('fp16');
    expect(lab.precisionAsked).toEqual(['fp16']);
    expect(store.getState().precisionRequest).toBe('fp16');
    expect(store.getState().backend).toMatchObject({ precision: 'fp32', precisionReason: expect.stringContaining('asked fp16') });
  });

  it('finetune() keeps every step for the loss curve, marks the lab busy while it runs, and saves the fine-tuned model', async () => {
    const store = createLabStore(new FakeLab());
    await store.getState().start(demo, 'demo');
    const seen: number[] = [];
    const unsubscribe = store.subscribe((s) => {
      if (s.tuning.status === 'running') {
        expect(isBusy(s)).toBe(true);
        seen.push(s.tuning.trace.length);
      }
    });
    await store.getState().finetune({ text: { kind: 'bundled', id: 'tinystories' }, steps: 4 });
    unsubscribe();
    const { tuning } = store.getState();
    expect(tuning.status).toBe('done');
    expect(tuning.trace.map((t) => t.step)).toEqual([1, 2, 3, 4]);
    expect(Math.max(...seen)).toBe(4); // the curve grew step by step while running
    let saved = 0;
    await store.getState().exportFinetuned(async (files) => {
      saved = files.length;
      return 'downloads';
    });
    expect(store.getState().tuning.exported).toBe('done');
    expect(saved).toBeGreaterThan(0);
  });

  it('evaluateAccuracy() shows acc live per item, marks the lab busy, and keeps the result', async () => {
    const store = createLabStore(new FakeLab());
    await store.getState().start(demo, 'demo');
    const seen: number[] = [];
    const unsubscribe = store.subscribe((s) => {
      if (s.accuracy.status === 'running' && s.accuracy.progress) {
        expect(isBusy(s)).toBe(true);
        seen.push(s.accuracy.progress.itemsDone);
      }
    });
    await store.getState().evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 6 });
    unsubscribe();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.getState().accuracy).toMatchObject({ status: 'done', result: { acc: 0.5, items: 6, which: 'loaded' } });
    expect(isBusy(store.getState())).toBe(false);
  });

  it('lawExperiment() adds each point as it is measured and keeps the fitted result', async () => {
    const store = createLabStore(new FakeLab());
    await store.getState().start(demo, 'demo');
    const seen: number[] = [];
    const unsubscribe = store.subscribe((s) => s.laws.status === 'running' && seen.push(s.laws.points.length));
    await store.getState().lawExperiment({ methodId: 'shortgpt', ratios: [0, 0.2, 0.4], rftTokens: [0, 1e6], calibration: { text: { kind: 'bundled', id: 'tinystories' } }, text: { kind: 'bundled', id: 'wikitext2' } });
    unsubscribe();
    expect(Math.max(...seen)).toBe(6);
    const { laws } = store.getState();
    expect(laws.status).toBe('done');
    expect(laws.points).toHaveLength(6);
    expect(laws.result?.loss?.noIntercept.coefficients.find((c) => c.name === 'beta')?.value).toBeCloseTo(2, 6);
  });

  it('cancel() marks the job as cancelling at once; the mark goes when it stops', async () => {
    const lab = new FakeLab();
    lab.windowDelayMs = 20;
    const store = createLabStore(lab);
    await store.getState().start(demo, 'demo');
    const running = store.getState().evaluate({ text: { kind: 'bundled', id: 'tinystories' } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    store.getState().cancel('evaluation');
    expect(store.getState().cancelling).toEqual(['evaluation']);
    expect(store.getState().evaluation.status).toBe('running');
    await running;
    expect(store.getState().evaluation.status).toBe('cancelled');
    expect(store.getState().cancelling).toEqual([]);
    store.getState().cancel('speed'); // nothing running: nothing marked
    expect(store.getState().cancelling).toEqual([]);
  });

  it('evaluate() records one chart point per window with that window\'s own perplexity', async () => {
    const lab = new FakeLab();
    const store = createLabStore(lab);
    await store.getState().start(demo, 'demo');
    await store.getState().evaluate({ text: { kind: 'bundled', id: 'tinystories' }, seqLen: 9, maxWindows: 5 });
    const { evaluation } = store.getState();
    expect(evaluation.status).toBe('done');
    expect(evaluation.points.map((p) => p.windowsDone)).toEqual([1, 2, 3, 4, 5]);
    evaluation.points.forEach((point, i) => expect(point.windowPpl).toBeCloseTo(Math.exp(lab.windowNlls[i]), 9));
    expect(evaluation.points[4].runningPpl).toBeCloseTo(evaluation.result!.ppl, 12);
  });

  it('a failed load shows the error and keeps the previous model', async () => {
    const store = createLabStore(new FakeLab());
    await store.getState().start(demo, 'demo');
    const before = store.getState().model;
    await store.getState().loadModel(badModel, 'bad');
    const state = store.getState();
    expect(state.model).toBe(before);
    expect(state.load.status).toBe('failed');
    expect(state.error).toMatchObject({ code: 'not-a-model', during: 'Loading the model' });
    expect(state.error?.message).toContain('onnx/model.onnx');
    store.getState().dismissError();
    expect(store.getState().error).toBeNull();
  });

  it('cancel() stops an evaluation without an error, and the next one runs', async () => {
    const lab = new FakeLab();
    lab.windowDelayMs = 20;
    const store = createLabStore(lab);
    await store.getState().start(demo, 'demo');
    const running = store.getState().evaluate({ text: { kind: 'bundled', id: 'tinystories' } });
    expect(isBusy(store.getState())).toBe(true);
    // A second job while one runs is refused (the worker runs one at a time).
    await store.getState().generate({ prompt: 'x' });
    expect(store.getState().generation.status).toBe('idle');
    await new Promise((resolve) => setTimeout(resolve, 30));
    store.getState().cancel('evaluation');
    await running;
    expect(store.getState().evaluation.status).toBe('cancelled');
    expect(store.getState().error).toBeNull();
    expect(store.getState().evaluation.points.length).toBeLessThan(6);
    await store.getState().generate({ prompt: 'Once' });
    expect(store.getState().generation.result?.text).toBe('Once!');
  });

  it('appendPoint ignores stale reports and derives a multi-window step from the running sums', () => {
    const first = appendPoint([], { windowsDone: 1, windows: 3, tokensScored: 10, runningNll: 1, runningPpl: Math.E });
    const skipped = appendPoint(first, { windowsDone: 3, windows: 3, tokensScored: 30, runningNll: 2, runningPpl: Math.exp(2) });
    expect(skipped[1].windowPpl).toBeCloseTo(Math.exp((60 - 10) / 20), 12);
    expect(appendPoint(skipped, { windowsDone: 2, windows: 3, tokensScored: 20, runningNll: 1, runningPpl: 1 })).toBe(skipped);
  });

  it('pointsFromResult gives one exact point per window of a finished run', () => {
    const points = pointsFromResult({
      ppl: Math.exp(2), nll: 2, windows: 3, tokensScored: 30, seqLen: 11, windowsAvailable: 9, textTokens: 99,
      textName: 't', elapsedMs: 1, tokensScoredPerS: 1, windowNlls: [1, 2, 3], backend: 'wasm',
    });
    expect(points.map((p) => p.windowsDone)).toEqual([1, 2, 3]);
    expect(points.map((p) => p.windowPpl)).toEqual([Math.exp(1), Math.exp(2), Math.exp(3)]);
    expect(points[1].runningPpl).toBeCloseTo(Math.exp(1.5), 12);
    expect(points[2].runningPpl).toBeCloseTo(Math.exp(2), 12);
  });
});
