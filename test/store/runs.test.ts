// The runs slice against FakeLab: every finished prune run is appended and stored, the stored runs come
// back in a new store (memory RunStorage stands in for IndexedDB), other models' runs are kept but
// filtered out by default, "Clear runs" empties both; run-record helpers (model key, ratio, Δppl).

import { describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/lab-store';
import type { FinetuneResult } from '../../src/lab/lab-api';
import { chartData, chartSeries, chartX, denseReference } from '../../src/ui/RunsChart';
import { runsToCsv } from '../../src/store/runs-csv';
import { runRecordFromJson } from '../../src/store/runs-import';
import { isRunOfModel, legacyModelKeyOf, modelKeyOf, pplDelta, realisedSparsity, recoveryRecordOf, runRatio, targetRatio, type RunRecord } from '../../src/store/run-record';
import { memoryRunStorage, type RunStorage } from '../../src/store/run-storage';
import { visibleRuns } from '../../src/store/runs-actions';
import { FakeLab, summaryFor } from '../lab/fake-lab';
import { newRun } from '../ui/runs/fixtures';

const demo = async () => [
  { path: 'config.json', blob: new Blob(['{}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) },
];

async function startedStore(storage: RunStorage) {
  const store = createLabStore(new FakeLab(), storage);
  await store.getState().start(demo, 'demo');
  // loadRuns runs beside the model load; wait for it.
  await store.getState().loadRuns();
  return store;
}

async function pruneBlocks(store: Awaited<ReturnType<typeof startedStore>>, blocks: string, evaluate = true) {
  store.getState().selectMethod('drop-blocks');
  store.getState().setParamValue('drop-blocks', 'blocks', blocks);
  store.getState().setPruneSettings({ evaluate, evalMaxWindows: '1', evalSeqLen: '64', measureSpeed: false });
  await store.getState().prune();
  expect(store.getState().pruning.job.status).toBe('done');
}

describe('runs slice', () => {
  it('appends every finished run with the model, method, params and result summary', async () => {
    const store = await startedStore(memoryRunStorage());
    await pruneBlocks(store, '2');
    await pruneBlocks(store, '1,3');
    const { runs, model } = store.getState();
    expect(runs.runs).toHaveLength(2);
    const [first, second] = runs.runs;
    expect(first.methodId).toBe('drop-blocks');
    expect(first.methodKind).toBe('blocks');
    expect(first.params).toEqual({ blocks: '2' });
    expect(second.removedBlocks).toEqual([1, 3]);
    expect(second.layersBefore).toBe(5);
    expect(second.layersAfter).toBe(3);
    expect(second.parametersAfter).toBe(800);
    expect(second.modelName).toBe(model!.name);
    expect(second.modelKey).toBe(modelKeyOf(model!));
    expect(second.pplBefore).toBeGreaterThan(1);
    expect(second.pplWindows).toBe(1);
    expect(second.pplSeqLen).toBe(64);
    expect(second.decodeTokensPerSDense).toBeNull();
    expect(first.id).not.toBe(second.id);
    expect(second.finishedAtMs).toBeGreaterThanOrEqual(first.finishedAtMs);
    expect(runRatio(second)).toBeCloseTo(2 / 5);
  });

  it('a failed or invalid run records nothing', async () => {
    const store = await startedStore(memoryRunStorage());
    store.getState().setParamValue('drop-blocks', 'blocks', '9');
    await store.getState().prune();
    expect(store.getState().pruning.job.status).toBe('failed');
    expect(store.getState().runs.runs).toHaveLength(0);
  });

  it('persists: a new store on the same storage loads the runs at start, in order', async () => {
    const storage = memoryRunStorage();
    const store = await startedStore(storage);
    await pruneBlocks(store, '2');
    await pruneBlocks(store, '1,3');
    const written = store.getState().runs.runs;
    expect(await storage.loadAll()).toEqual(written);

    const reopened = await startedStore(storage);
    expect(reopened.getState().runs.status).toBe('done');
    expect(reopened.getState().runs.runs).toEqual(written);
    expect(visibleRuns(reopened.getState())).toHaveLength(2);
  });

  it('keeps runs of another model but shows only the loaded model\'s unless asked', async () => {
    const other: RunRecord = {
      ...(await (async () => {
        const s = await startedStore(memoryRunStorage());
        await pruneBlocks(s, '4');
        return s.getState().runs.runs[0];
      })()),
      id: 'other-1',
      modelName: 'another model',
      modelKey: modelKeyOf(summaryFor('another model', 123)),
    };
    const storage = memoryRunStorage([other]);
    const store = await startedStore(storage);
    await pruneBlocks(store, '2');
    expect(store.getState().runs.runs.map((r) => r.id)).toContain('other-1');
    expect(visibleRuns(store.getState()).map((r) => r.id)).not.toContain('other-1');
    expect(visibleRuns(store.getState())).toHaveLength(1);
    store.getState().setShowAllModels(true);
    expect(visibleRuns(store.getState())).toHaveLength(2);
  });

  it('"Clear runs" empties the table and the storage', async () => {
    const storage = memoryRunStorage();
    const store = await startedStore(storage);
    await pruneBlocks(store, '2');
    await store.getState().clearRuns();
    expect(store.getState().runs.runs).toEqual([]);
    expect(await storage.loadAll()).toEqual([]);
  });

  it('a storage that fails to save shows an error and keeps the run in the table', async () => {
    const failing: RunStorage = { ...memoryRunStorage(), put: async () => Promise.reject(new Error('quota exceeded')) };
    const store = await startedStore(failing);
    await pruneBlocks(store, '2');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(store.getState().runs.runs).toHaveLength(1);
    expect(store.getState().error?.during).toBe('Saving the run');
    expect(store.getState().error?.message).toContain('quota exceeded');
  });
});

describe('run-record helpers', () => {
  it('model key: stable, 8 hex digits, differs when name, parameters, layers or bytes differ', () => {
    const base = { name: 'stories260K', parameters: 260_000, numLayers: 5, fileBytes: 1_000_000 };
    expect(modelKeyOf(base)).toMatch(/^[0-9a-f]{8}$/);
    expect(modelKeyOf({ ...base })).toBe(modelKeyOf(base));
    const variants = [{ ...base, name: 'x' }, { ...base, parameters: 1 }, { ...base, numLayers: 4 }, { ...base, fileBytes: 1 }];
    for (const v of variants) expect(modelKeyOf(v)).not.toBe(modelKeyOf(base));
  });

  it('model key: the weights hash (16 hex) when known; runs stored under the legacy key still count as this model\'s', () => {
    const base = { name: 'stories260K', parameters: 260_000, numLayers: 5, fileBytes: 1_000_000 };
    const hashed = { ...base, weightsHash: 'ab'.repeat(32) };
    expect(modelKeyOf(hashed)).toBe('ab'.repeat(8));
    expect(isRunOfModel({ modelKey: 'ab'.repeat(8) }, hashed)).toBe(true);
    expect(isRunOfModel({ modelKey: legacyModelKeyOf(base) }, hashed)).toBe(true);
    expect(isRunOfModel({ modelKey: legacyModelKeyOf({ ...base, name: 'other' }) }, hashed)).toBe(false);
    expect(isRunOfModel({ modelKey: 'cd'.repeat(8) }, hashed)).toBe(false);
  });

  it('ratio is overall sparsity for sparsity methods; Δppl is after − before or null', async () => {
    const store = await startedStore(memoryRunStorage());
    await pruneBlocks(store, '2', false);
    const run = store.getState().runs.runs[0];
    expect(pplDelta(run)).toBeNull();
    const sparse: RunRecord = { ...run, methodKind: 'sparsity', overallSparsity: 0.42, pplBefore: 4, pplAfter: 5.5 };
    expect(runRatio(sparse)).toBe(0.42);
    expect(pplDelta(sparse)).toBeCloseTo(1.5);
    // Width runs (DReSS, channels): the removed share of the parameters; the target is the ratio param.
    const width: RunRecord = { ...run, methodKind: 'width', params: { ratio: 0.25 }, overallSparsity: 0, parametersBefore: 260_032, parametersAfter: 195_024 };
    expect(runRatio(width)).toBeCloseTo(1 - 195_024 / 260_032, 12);
    expect(realisedSparsity(width)).toBeCloseTo(0.25, 2);
    expect(targetRatio(width)).toBe(0.25);
  });

  it('a recovery fine-tuning lands as a run of its own: the pruned run\'s structure, the held-out perplexities, its own chart line', async () => {
    const storage = memoryRunStorage();
    const store = await startedStore(storage);
    await pruneBlocks(store, '2');
    const pruneRun = store.getState().runs.runs[0];
    expect(store.getState().pruning.job.runId).toBe(pruneRun.id);
    await store.getState().finetune({ which: 'pruned', text: { kind: 'bundled', id: 'tinystories' }, steps: 3 });
    const runs = store.getState().runs.runs;
    expect(runs).toHaveLength(2);
    const recovered = runs[1];
    expect(recovered.recovery).toMatchObject({ of: pruneRun.id, mode: 'lora', steps: 3, lossFirst: 3 });
    expect(recovered.recovery!.lossLast).toBeCloseTo(2.8, 12);
    expect(recovered).toMatchObject({ methodId: 'drop-blocks', methodKind: 'blocks', removedBlocks: [2], layersAfter: pruneRun.layersAfter, parametersAfter: pruneRun.parametersAfter });
    expect(recovered.methodLabel).toBe(`${pruneRun.methodLabel} + LoRA r8`);
    expect((await storage.loadAll()).map((r) => r.id)).toEqual([pruneRun.id, recovered.id]);
    // Fine-tuning the loaded model records a dense run.
    await store.getState().finetune({ which: 'loaded', text: { kind: 'bundled', id: 'tinystories' }, steps: 2 });
    const dense = store.getState().runs.runs[2];
    expect(dense).toMatchObject({ methodId: 'dense', overallSparsity: 0, removedBlocks: [], recovery: { of: null, steps: 2 } });
    expect(dense.layersAfter).toBe(store.getState().model!.numLayers);
  });

  it('recoveryRecordOf: held-out perplexities, a chart line apart from the method\'s prune runs, CSV columns, and a JSON round trip', () => {
    const ppl = (value: number) => ({ ppl: value, nll: Math.log(value), windows: 16, tokensScored: 2032, seqLen: 128, windowsAvailable: 20, textTokens: 9000, textName: 'tinystories', elapsedMs: 5, tokensScoredPerS: 1, windowNlls: [], backend: 'wasm' });
    const pruned = newRun({ id: 'p1', methodId: 'wanda', methodLabel: 'Wanda', overallSparsity: 0.5, pplBefore: 6.5, pplAfter: 27.2 });
    const result: FinetuneResult = {
      which: 'pruned', mode: 'lora', lora: { rank: 8, alpha: 16, masked: true }, trainEmbeddings: false, trainedParameters: 46240, steps: 60, stepsRequested: 60, stoppedEarly: false,
      batch: 8, seqLen: 128, microBatches: 1, trace: [{ step: 1, loss: 3.3, lr: 1e-4, gradNorm: 1, tokensPerS: 9000 }, { step: 60, loss: 2.4, lr: 0, gradNorm: 0.5, tokensPerS: 9000 }],
      pplBefore: ppl(27.2), pplAfter: ppl(11.4), textName: 'tinystories', trainTokens: 61440, heldOutTokens: 3000, elapsedMs: 9000, backend: 'wasm', tokensPerS: 6800,
    };
    const model = { name: 'stories260K', parameters: 260032, numLayers: 5, fileBytes: 1, weightsHash: 'ab'.repeat(32) };
    const r = recoveryRecordOf(result, pruned, { model, finishedAtMs: 1, id: 'r1' });
    expect(r).toMatchObject({ methodId: 'wanda', methodLabel: 'Wanda + LoRA r8 masked', overallSparsity: 0.5, pplBefore: 27.2, pplAfter: 11.4, pplTextName: 'tinystories (held-out last quarter)', pplWindows: 16 });
    expect(r.recovery).toEqual({ of: 'p1', mode: 'lora', lora: { rank: 8, alpha: 16, masked: true }, trainEmbeddings: false, steps: 60, stepsRequested: 60, trainTokens: 61440, lossFirst: 3.3, lossLast: 2.4, tokensPerS: 6800, backend: 'wasm' });
    // The chart draws the recovered run on a line of its own at the same sparsity, not averaged with Wanda's.
    const series = chartSeries([pruned, r]);
    expect(series.map((x) => x.label)).toEqual(['Wanda', 'Wanda + LoRA r8 masked']);
    expect(chartData([pruned, r], series)).toEqual([[0.5], [27.2], [11.4]]);
    const [header, prunedRow, recoveredRow] = runsToCsv([pruned, r]).trim().split('\r\n').map((line) => line.split(','));
    const cell = (row: string[], name: string) => row[header.indexOf(name)];
    expect(cell(recoveredRow, 'recovery_of')).toBe('p1');
    expect(cell(recoveredRow, 'recovery_mode')).toBe('lora r8 alpha 16 masked');
    expect(cell(recoveredRow, 'recovery_loss_last')).toBe('2.4');
    expect(cell(prunedRow, 'recovery_mode')).toBe('');
    expect(runRecordFromJson(JSON.parse(JSON.stringify(r)), 'runs.json: run 2')).toEqual(r);
    expect(() => runRecordFromJson({ ...JSON.parse(JSON.stringify(r)), recovery: { ...r.recovery, mode: 'qlora' } }, 'runs.json: run 2')).toThrow(/runs.json: run 2: recovery must be/);
  });

  it('a prune run that measured accuracy keeps it: the request, the record, CSV columns, JSON round trip', async () => {
    const store = await startedStore(memoryRunStorage());
    store.getState().setPruneSettings({ measureAccuracy: true, accuracyItems: '40' });
    await pruneBlocks(store, '2');
    const recorded = store.getState().runs.runs[0];
    expect(recorded.accuracy).toEqual({ dataName: 'hellaswag-val-first300.jsonl', items: 40, accBefore: 0.3, accAfter: 0.25, accNormBefore: 0.35, accNormAfter: 0.3 });
    // The chart's second quality axis: acc_norm after, for the runs that measured it, and the dense reference.
    expect(chartData([recorded], chartSeries([recorded], 'accNorm'), 'accNorm')).toEqual([[chartX(recorded)], [0.3]]);
    expect(denseReference([recorded], 'accNorm')).toBe(0.35);
    const withAcc = { ...newRun(), accuracy: { dataName: 'hellaswag-val-first300.jsonl', items: 40, accBefore: 0.3, accAfter: 0.25, accNormBefore: 0.275, accNormAfter: 0.2 } };
    const [header, row] = runsToCsv([withAcc]).trim().split('\r\n').map((line) => line.split(','));
    expect(row[header.indexOf('acc_norm_before')]).toBe('0.275');
    expect(row[header.indexOf('acc_after')]).toBe('0.25');
    expect(row[header.indexOf('acc_items')]).toBe('40');
    expect(runRecordFromJson(JSON.parse(JSON.stringify(withAcc)), 'r.json: run 1')).toEqual(withAcc);
    expect(() => runRecordFromJson({ ...withAcc, accuracy: { ...withAcc.accuracy, accAfter: 'high' } }, 'r.json: run 1')).toThrow(/r.json: run 1: accuracy must be/);
  });

  it('the dense reference line: the median of the runs\' dense perplexities, only over runs with a value after', () => {
    const runs = [newRun({ id: 'a', pplBefore: 4, pplAfter: 6 }), newRun({ id: 'b', pplBefore: 5, pplAfter: 7 }), newRun({ id: 'c', pplBefore: 9, pplAfter: null }), newRun({ id: 'd', pplBefore: 6, pplAfter: 9 })];
    expect(denseReference(runs)).toBe(5);
    expect(denseReference(runs.slice(0, 2))).toBe(4.5);
    expect(denseReference([runs[2]])).toBeNull();
  });
});
