// The pruning slice against FakeLab: methods and their forms, request building, live trace, cancel,
// validation errors, export; one job at a time.

import { describe, expect, it } from 'vitest';
import type { ExportedFile } from '../../src/lab/lab-api';
import type { TraceEntry } from '../../src/pruning/plan';
import { isBusy } from '../../src/store/lab-state';
import { createLabStore } from '../../src/store/lab-store';
import { buildPruneRequest, defaultPruneSettings, evaluationText, mergeTrace } from '../../src/store/pruning-state';
import { FakeLab, fakeMethods } from '../lab/fake-lab';

const demo = async () => [
  { path: 'config.json', blob: new Blob(['{}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) },
];

async function startedStore(lab = new FakeLab()) {
  const store = createLabStore(lab);
  await store.getState().start(demo, 'demo');
  return { lab, store };
}

describe('pruning slice', () => {
  it('start() lists the methods, selects the first and fills every form with its defaults', async () => {
    const { store } = await startedStore();
    const { pruning } = store.getState();
    expect(pruning.methodsStatus).toBe('done');
    expect(pruning.methods.map((m) => m.id)).toEqual(['drop-blocks', 'sleb', 'wanda']);
    expect(pruning.selectedMethodId).toBe('drop-blocks');
    expect(pruning.formValues.wanda).toEqual({ sparsity: '0.5', pattern: 'unstructured', perRow: true });
  });

  it('keeps each method\'s typed values when switching methods', async () => {
    const { store } = await startedStore();
    store.getState().setParamValue('wanda', 'sparsity', '0.6');
    store.getState().selectMethod('sleb');
    store.getState().selectMethod('no-such-method');
    store.getState().selectMethod('wanda');
    expect(store.getState().pruning.selectedMethodId).toBe('wanda');
    expect(store.getState().pruning.formValues.wanda.sparsity).toBe('0.6');
    await store.getState().loadMethods();
    expect(store.getState().pruning.formValues.wanda.sparsity).toBe('0.6');
  });

  it('prune() sends the parsed values and settings and keeps the result', async () => {
    const { lab, store } = await startedStore();
    store.getState().setParamValue('drop-blocks', 'blocks', '2');
    store.getState().setPruneSettings({ calibrationWindows: '4', calibrationSeqLen: '64', sampling: 'random', seed: '7' });
    await store.getState().prune();
    expect(lab.receivedPrune).toMatchObject({
      methodId: 'drop-blocks',
      params: { blocks: '2' },
      // In-domain by default: the calibration text's last quarter, calibration from its first three.
      calibration: { text: { kind: 'bundled', id: 'tinystories' }, part: 'head', windows: 4, seqLen: 64, sampling: 'random', seed: 7 },
      evaluation: { text: { kind: 'bundled', id: 'tinystories' }, part: 'tail', seqLen: 128, maxWindows: 4 },
      speed: { promptTokens: 32, genTokens: 16, runs: 2 },
    });
    const { job } = store.getState().pruning;
    expect(job.status).toBe('done');
    expect(job.result?.removedBlocks).toEqual([2]);
    expect(job.result?.layersAfter).toBe(4);
  });

  it('SLEB candidates arrive live, one step replacing its partial reports; the result\'s trace wins', async () => {
    const { store } = await startedStore();
    store.getState().selectMethod('sleb');
    store.getState().setParamValue('sleb', 'numBlocks', '2');
    const seen: number[] = [];
    const unsubscribe = store.subscribe((state) => {
      const trace = state.pruning.job.trace;
      if (state.pruning.job.status === 'running') seen.push(trace.reduce((n, t) => n + (t.kind === 'sleb-step' ? t.candidates.length : 0), 0));
    });
    await store.getState().prune();
    unsubscribe();
    // Step 1 grows 1..5 candidates, step 2 (block 2 removed) adds 1..4.
    expect(Math.max(...seen)).toBe(9);
    expect(seen.filter((n, i) => i > 0 && n < seen[i - 1])).toEqual([]);
    const { job } = store.getState().pruning;
    expect(job.trace.map((t) => (t.kind === 'sleb-step' ? t.chosen : null))).toEqual([2, 1]);
    expect(job.trace).toBe(job.result?.trace);
  });

  it('invalid values run nothing and show one bad-argument error naming them', async () => {
    const { lab, store } = await startedStore();
    store.getState().setParamValue('drop-blocks', 'blocks', '7');
    store.getState().setPruneSettings({ calibrationWindows: '0' });
    await store.getState().prune();
    expect(lab.receivedPrune).toBeNull();
    const state = store.getState();
    expect(state.pruning.job.status).toBe('failed');
    expect(state.error).toMatchObject({ code: 'bad-argument', during: 'Pruning with Drop blocks' });
    expect(state.error?.message).toContain('block 7 does not exist');
    expect(state.error?.message).toContain('Calibration windows');
  });

  it('cancelPrune() says "cancelling" at once, stops a run without an error; the lab takes the next job', async () => {
    const lab = new FakeLab();
    lab.pruneStepDelayMs = 15;
    const { store } = await startedStore(lab);
    store.getState().selectMethod('wanda');
    const running = store.getState().prune();
    expect(isBusy(store.getState())).toBe(true);
    await store.getState().evaluate({ text: { kind: 'bundled', id: 'tinystories' } });
    expect(store.getState().evaluation.status).toBe('idle');
    await new Promise((resolve) => setTimeout(resolve, 40));
    store.getState().cancelPrune();
    // Acknowledged at once, before the job stops.
    expect(store.getState().pruning.job).toMatchObject({ status: 'running', cancelling: true });
    await running;
    const { pruning, error } = store.getState();
    expect(pruning.job.status).toBe('cancelled');
    expect(pruning.job.cancelling).toBe(false);
    expect(pruning.job.result).toBeNull();
    expect(pruning.job.trace.length).toBeGreaterThan(0);
    expect(pruning.job.trace.length).toBeLessThan(5);
    expect(error).toBeNull();
    await store.getState().prune();
    expect(store.getState().pruning.job.result?.overallSparsity).toBe(0.5);
  });

  it('exportPruned() exports the pruned model, saves it and lists paths and sizes; a refused folder is a cancel', async () => {
    const { lab, store } = await startedStore();
    store.getState().selectMethod('wanda');
    await store.getState().prune();
    let saved: ExportedFile[] = [];
    await store.getState().exportPruned(async (files) => {
      saved = files;
      return 'downloads';
    });
    expect(lab.exportedWhich).toBe('pruned');
    expect(saved.map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
    expect(store.getState().pruning.exported).toEqual({
      status: 'done', savedTo: 'downloads', files: [{ path: 'config.json', bytes: 23 }, { path: 'model.safetensors', bytes: 40 }],
    });
    await store.getState().exportPruned(async () => {
      throw Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' });
    });
    expect(store.getState().pruning.exported.status).toBe('cancelled');
    expect(store.getState().error).toBeNull();
  });

  it('a new model clears the last pruning result', async () => {
    const { store } = await startedStore();
    store.getState().selectMethod('wanda');
    await store.getState().prune();
    await store.getState().loadModel(await demo(), 'again');
    expect(store.getState().pruning.job.status).toBe('idle');
    expect(store.getState().pruning.job.result).toBeNull();
    expect(store.getState().pruning.formValues.wanda.sparsity).toBe('0.5');
  });
});

describe('pruning-state helpers', () => {
  const step = (s: number, blocks: number[], chosen = -1): TraceEntry => ({
    kind: 'sleb-step', step: s, chosen, candidates: blocks.map((block) => ({ block, nll: 1, ppl: Math.E })),
  });

  it('mergeTrace replaces a step\'s partial report, drops exact repeats, appends the rest', () => {
    let trace = mergeTrace([], step(0, [0]));
    trace = mergeTrace(trace, step(0, [0, 1]));
    expect(trace).toHaveLength(1);
    trace = mergeTrace(trace, step(1, [0]));
    const layer: TraceEntry = { kind: 'layer-pruned', block: 0, sparsity: 0.5 };
    trace = mergeTrace(mergeTrace(trace, layer), { ...layer });
    expect(trace.map((t) => t.kind)).toEqual(['sleb-step', 'sleb-step', 'layer-pruned']);
  });

  it('held-out text: by default the calibration text (a file too), split 3:1; else the other bundled text or one by name', () => {
    const settings = defaultPruneSettings();
    expect(settings.evalText).toBe('same');
    expect(evaluationText(settings)).toBe('tinystories');
    expect(evaluationText({ ...settings, calibrationText: 'file' })).toBe('file');
    expect(evaluationText({ ...settings, evalText: 'other' })).toBe('wikitext2');
    expect(evaluationText({ ...settings, evalText: 'other', calibrationText: 'wikitext2' })).toBe('tinystories');
    expect(evaluationText({ ...settings, evalText: 'wikitext2' })).toBe('wikitext2');
    const wanda = fakeMethods().find((m) => m.id === 'wanda')!;
    const file = { ...settings, calibrationText: 'file' as const, calibrationFile: { name: 'mine.txt', text: 'my own text' } };
    const fromFile = buildPruneRequest(wanda, {}, file, 5).request!;
    expect(fromFile.calibration).toMatchObject({ text: { kind: 'file', name: 'mine.txt' }, part: 'head' });
    expect(fromFile.evaluation).toMatchObject({ text: { kind: 'file', name: 'mine.txt' }, part: 'tail' });
    // Another text: calibration reads all of its own text; evaluation is still a last quarter.
    const other = buildPruneRequest(wanda, {}, { ...settings, evalText: 'other' }, 5).request!;
    expect(other.calibration.part).toBeUndefined();
    expect(other.evaluation).toMatchObject({ text: { kind: 'bundled', id: 'wikitext2' }, part: 'tail' });
    // No evaluation: calibration reads the whole text.
    expect(buildPruneRequest(wanda, {}, { ...settings, evaluate: false }, 5).request!.calibration.part).toBeUndefined();
  });

  it('buildPruneRequest adds generation when ticked (default) and checks its prompt and token count', () => {
    const wanda = fakeMethods().find((m) => m.id === 'wanda')!;
    const settings = { ...defaultPruneSettings(), evaluate: false, measureSpeed: false };
    expect(buildPruneRequest(wanda, {}, settings, 5).request?.generation).toEqual({ prompt: 'Once upon a time', maxNewTokens: 24 });
    expect(buildPruneRequest(wanda, {}, { ...settings, generatePrompt: '  ', generateTokens: '0' }, 5).errors).toEqual({
      generatePrompt: 'Prompt: enter some text.',
      generateTokens: 'New tokens: enter a whole number ≥ 1.',
    });
  });

  it('buildPruneRequest leaves out evaluation, speed and generation when unticked, and needs a file for file calibration', () => {
    const wanda = fakeMethods().find((m) => m.id === 'wanda')!;
    const settings = { ...defaultPruneSettings(), evaluate: false, measureSpeed: false, generate: false };
    const built = buildPruneRequest(wanda, {}, settings, 5);
    expect(built.request).toEqual({
      methodId: 'wanda', params: { sparsity: 0.5, pattern: 'unstructured', perRow: true },
      calibration: { text: { kind: 'bundled', id: 'tinystories' }, windows: 16, seqLen: 128, sampling: 'first', seed: 0 },
    });
    expect(buildPruneRequest(wanda, {}, { ...settings, calibrationText: 'file' }).errors).toEqual({ calibrationFile: 'Calibration text: choose a .txt file.' });
    const withFile = buildPruneRequest(wanda, {}, { ...settings, calibrationText: 'file', calibrationFile: { name: 'a.txt', text: 'abc' } });
    expect(withFile.request?.calibration.text).toEqual({ kind: 'file', name: 'a.txt', text: 'abc' });
  });
});
