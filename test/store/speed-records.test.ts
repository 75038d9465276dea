// Saved GPU benchmarks: the store's benchmarkGpu against FakeLab (status, live progress, the finished result saved
// as a SpeedRecord with the model key and, for the pruned model, the run's label), storage round trip through a
// new store (memory SpeedStorage stands in for IndexedDB) with version tags (a newer build's record hidden and
// kept, an unreadable one discarded with a notice), delete, "Clear runs" clearing them, cancel saving nothing,
// and the JSON / CSV exports.

import { describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/lab-store';
import { isBusy } from '../../src/store/lab-state';
import { memoryRunStorage } from '../../src/store/run-storage';
import { modelKeyOf } from '../../src/store/run-record';
import { adapterText, SPEED_SCHEMA_VERSION, speedRecordFromJson, speedRecordsToCsv, speedRecordsToJson, type SpeedRecord } from '../../src/store/speed-record';
import { checkStoredSpeedRecord, memorySpeedStorage, storedSpeedNotice, type SpeedStorage } from '../../src/store/speed-storage';
import { FakeLab } from '../lab/fake-lab';

const demo = async () => [
  { path: 'config.json', blob: new Blob(['{}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) },
];

async function startedStore(storage: SpeedStorage, lab = new FakeLab()) {
  const store = createLabStore(lab, memoryRunStorage(), storage);
  await store.getState().start(demo, 'demo');
  await store.getState().loadSpeedRecords();
  return store;
}

const request = { promptTokens: 32, genTokens: 4, runs: 2, contexts: [16, 64, 256] };

describe('GPU benchmark in the store', () => {
  it('runs, reports progress, keeps the result and saves it as a record of the loaded model', async () => {
    const storage = memorySpeedStorage();
    const store = await startedStore(storage);
    const seen: number[] = [];
    const unsubscribe = store.subscribe((s) => {
      if (s.gpuBench.status === 'running') {
        expect(isBusy(s)).toBe(true);
        if (s.gpuBench.progress?.point) seen.push(s.gpuBench.progress.point);
      }
    });
    await store.getState().benchmarkGpu(request);
    unsubscribe();
    const { gpuBench, speedRecords, model } = store.getState();
    expect(gpuBench.status).toBe('done');
    expect(seen).toEqual([1, 2, 3]);
    expect(gpuBench.result?.sweep.map((p) => p.contextTokens)).toEqual([16, 64, 256]);
    expect(speedRecords.records).toHaveLength(1);
    const record = speedRecords.records[0];
    expect(gpuBench.recordId).toBe(record.id);
    expect(record).toMatchObject({ which: 'loaded', prunedLabel: null, modelKey: modelKeyOf(model!), modelName: model!.name, promptTokens: 32, userAgent: 'FakeBrowser/1' });
    expect(record.sweep[2].bound?.fractionOfBound).toBeCloseTo(1000 / 1.256 / (100e9 / (4000 + 128 * 256)), 9);
    expect(speedRecords.saving).toBe(0);
    // stored: a new store reads it back, equal, tagged with the version
    const again = await startedStore(storage);
    expect(again.getState().speedRecords.records).toEqual([record]);
    expect(again.getState().speedRecords.notice).toBeNull();
  });

  it('a pruned measurement carries the pruning run’s label from the Runs table', async () => {
    const store = await startedStore(memorySpeedStorage());
    store.getState().selectMethod('drop-blocks');
    store.getState().setParamValue('drop-blocks', 'blocks', '2');
    store.getState().setPruneSettings({ evaluate: false, measureSpeed: false });
    await store.getState().prune();
    const runLabel = store.getState().runs.runs.at(-1)?.methodLabel;
    expect(runLabel).toBeTruthy();
    await store.getState().benchmarkGpu({ ...request, which: 'pruned' });
    await store.getState().benchmarkGpu(request);
    const [pruned, loaded] = store.getState().speedRecords.records;
    expect(pruned).toMatchObject({ which: 'pruned', prunedLabel: runLabel });
    expect(loaded).toMatchObject({ which: 'loaded', prunedLabel: null });
  });

  it('cancel: status cancelled, no error, nothing saved; another job waits while it runs', async () => {
    const lab = new FakeLab();
    lab.windowDelayMs = 20;
    const store = await startedStore(memorySpeedStorage(), lab);
    const running = store.getState().benchmarkGpu(request);
    await store.getState().evaluate({ text: { kind: 'bundled', id: 'tinystories' } }); // refused: busy
    expect(store.getState().evaluation.status).toBe('idle');
    store.getState().cancel('gpuBench');
    await running;
    expect(store.getState().gpuBench.status).toBe('cancelled');
    expect(store.getState().error).toBeNull();
    expect(store.getState().speedRecords.records).toHaveLength(0);
  });

  it('delete removes one from the list and the storage; "Clear runs" clears them all (a newer build’s stays stored)', async () => {
    const newer = { schemaVersion: SPEED_SCHEMA_VERSION + 1, id: 'from-a-newer-prunelab', savedAtMs: 1 };
    const storage = memorySpeedStorage([newer]);
    const store = await startedStore(storage);
    await store.getState().benchmarkGpu(request);
    await store.getState().benchmarkGpu(request);
    const [first, second] = store.getState().speedRecords.records;
    await store.getState().deleteSpeedRecord(first.id);
    expect(store.getState().speedRecords.records.map((r) => r.id)).toEqual([second.id]);
    expect((await storage.load()).records.map((r) => r.id)).toEqual([second.id]);
    await store.getState().clearRuns();
    expect(store.getState().speedRecords.records).toEqual([]);
    const left = await storage.load();
    expect(left.records).toEqual([]);
    expect(left.newer).toBe(1);
  });
});

describe('stored records', () => {
  async function oneRecord(): Promise<SpeedRecord> {
    const store = await startedStore(memorySpeedStorage());
    await store.getState().benchmarkGpu(request);
    return store.getState().speedRecords.records[0];
  }

  it('versions: current read back, a newer build’s hidden and kept, an unreadable one discarded naming the field', async () => {
    const record = await oneRecord();
    const storage = memorySpeedStorage([
      { ...record, schemaVersion: SPEED_SCHEMA_VERSION },
      { ...record, id: 'untagged' }, // written before the tag: version 1
      { ...record, id: 'newer', schemaVersion: 99, shape: 'unknown' },
      { ...record, id: 'bad', sweep: [{ contextTokens: 'sixteen' }] },
      'not even an object',
    ]);
    const report = await storage.load();
    expect(report.records.map((r) => r.id).sort()).toEqual([record.id, 'untagged'].sort());
    expect(report.newer).toBe(1);
    expect(report.discarded).toEqual([
      { id: 'bad', message: 'saved measurement bad: sweep must be a list of decode figures', field: 'sweep' },
      { id: null, message: 'saved measurement (no id): not a saved measurement (expected an object)' },
    ]);
    expect(storedSpeedNotice(report)).toBe('1 saved measurement was saved by a newer version of Prunelab and is hidden. 2 saved measurements could not be read and were discarded.');
    // the unreadable ones are gone from storage, the newer one is kept
    const second = await storage.load();
    expect(second.discarded).toEqual([]);
    expect(second.newer).toBe(1);
    expect(checkStoredSpeedRecord({ ...record, schemaVersion: 0 })).toMatchObject({ kind: 'invalid', problem: { field: 'schemaVersion' } });
    expect(() => speedRecordFromJson({ ...record, which: 'other' }, 'x')).toThrow(/x: which must be 'loaded' or 'pruned'/);
    expect(() => speedRecordFromJson({ ...record, bandwidth: { gbPerS: 5 } }, 'x')).toThrow(/bandwidth must be/);
  });

  it('Export JSON: every record with its version tag, readable again field by field; CSV: a row per decode figure', async () => {
    const record = await oneRecord();
    const json = JSON.parse(speedRecordsToJson([record, { ...record, id: 'two' }])) as unknown[];
    expect(json).toHaveLength(2);
    expect(json[0]).toEqual({ ...record, schemaVersion: SPEED_SCHEMA_VERSION });
    expect(speedRecordFromJson(json[1], 'file')).toEqual({ ...record, id: 'two' });
    const csv = speedRecordsToCsv([record]);
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    const header = lines[0].split(',');
    expect(lines).toHaveLength(1 + 1 + 3 + 1); // header, the prompt figure, 3 sweep points, trailing CRLF
    const cell = (row: number, name: string) => lines[row].split(',')[header.indexOf(name)];
    expect(cell(1, 'figure')).toBe('prompt');
    expect(cell(1, 'context_tokens')).toBe('32');
    expect(lines.slice(2, 5).map((_, i) => cell(i + 2, 'context_tokens'))).toEqual(['16', '64', '256']);
    expect(Number(cell(4, 'fraction_of_bound'))).toBeCloseTo(record.sweep[2].bound!.fractionOfBound, 12);
    expect(cell(1, 'adapter')).toBe('acme fast');
  });

  it('adapter text: vendor architecture (description), parts only when given', () => {
    expect(adapterText(null)).toBeNull();
    expect(adapterText({ vendor: 'nvidia', architecture: 'hopper', description: '' })).toBe('nvidia hopper');
    expect(adapterText({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' })).toBe('google swiftshader (SwiftShader Device (Subzero))');
    expect(adapterText({ vendor: '', architecture: '', description: 'Apple M3' })).toBe('Apple M3');
    expect(adapterText({ vendor: '', architecture: '', description: '' })).toBeNull();
  });
});
