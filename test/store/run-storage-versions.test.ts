// Stored runs across schema changes (store/run-storage): a record without `schemaVersion` (v1) is migrated
// and written back; one from a newer build is hidden and left stored untouched (also by "Clear runs"); one
// that does not read as a run is discarded; the Runs slice says so in its notice. Writes are counted in
// `runs.saving` until committed. Settings: bare values (v1) read, other versions fall back to the default.

import { describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/lab-store';
import type { RunRecord } from '../../src/store/run-record';
import { checkStoredRun, memoryRunStorage, RUNS_SCHEMA_VERSION, storedFormOf, storedRunsNotice, type RunStorage } from '../../src/store/run-storage';
import { readStoredSetting } from '../../src/ui/use-stored-setting';
import { FakeLab } from '../lab/fake-lab';

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'run-1', finishedAtMs: 1_700_000_000_000, modelName: 'stories260K', modelKey: 'abcdef0123456789',
    methodId: 'wanda', methodLabel: 'Wanda', methodKind: 'sparsity', params: { sparsity: 0.5 },
    calibration: { windows: 4, seqLen: 64, sampling: 'first', seed: 0, textName: 'TinyStories' },
    overallSparsity: 0.5, layersBefore: 5, layersAfter: 5, parametersBefore: 260_000, parametersAfter: 250_000,
    pplBefore: 7.8, pplAfter: 9.1, pplWindows: 2, pplSeqLen: 64, pplTextName: 'TinyStories',
    decodeTokensPerSDense: null, decodeTokensPerSPruned: null, prefillMsDense: null, prefillMsPruned: null, speedAdapter: null,
    elapsedMs: 812, removedBlocks: [], blockSparsity: [0.5, 0.5, 0.5, 0.5, 0.5], fp32BytesAfter: 1_000_000,
    planId: 'plan-1', planNote: null,
    ...overrides,
  };
}

/** A record as builds before versioning stored it: no schemaVersion, no fp32BytesAfter. */
function v1Record(overrides: Partial<RunRecord> = {}): Record<string, unknown> {
  const { fp32BytesAfter: _dropped, ...rest } = run(overrides);
  return rest;
}

async function loadedStore(storage: RunStorage) {
  const store = createLabStore(new FakeLab(), storage);
  await store.getState().loadRuns();
  return store;
}

describe('checkStoredRun', () => {
  it('a current record reads as it is; a v1 record (no schemaVersion) is migrated: fp32BytesAfter filled from parametersAfter', () => {
    const current = checkStoredRun(storedFormOf(run()));
    expect(current.kind).toBe('current');
    expect(current.kind === 'current' && current.run).toEqual(run());
    expect(current.kind === 'current' && 'schemaVersion' in current.run).toBe(false);

    const migrated = checkStoredRun(v1Record());
    expect(migrated.kind).toBe('migrated');
    if (migrated.kind !== 'migrated') return;
    expect(migrated.from).toBe(1);
    expect(migrated.run.fp32BytesAfter).toBe(250_000 * 4);
    expect(migrated.run.planId).toBe('plan-1'); // stored-only fields (plan, request) are kept
    expect(storedFormOf(migrated.run).schemaVersion).toBe(RUNS_SCHEMA_VERSION);
  });

  it('keeps the plan and the request (which runs-import drops) and fields this build does not know', () => {
    const request = { methodId: 'wanda', params: { sparsity: '0.5' } };
    const checked = checkStoredRun({ ...storedFormOf(run()), request, futureField: [1, 2] });
    expect(checked.kind).toBe('current');
    if (checked.kind !== 'current') return;
    expect(checked.run.request).toEqual(request);
    expect((checked.run as unknown as Record<string, unknown>).futureField).toEqual([1, 2]);
  });

  it('a record of a newer version is "newer", whatever its fields', () => {
    expect(checkStoredRun({ schemaVersion: RUNS_SCHEMA_VERSION + 1, id: 'x', totally: 'different' })).toEqual({ kind: 'newer', version: RUNS_SCHEMA_VERSION + 1 });
  });

  it('an unreadable record is "invalid", naming the run and the field', () => {
    const bad = checkStoredRun({ ...storedFormOf(run({ id: 'r7' })), pplAfter: 'nine' });
    expect(bad).toMatchObject({ kind: 'invalid', problem: { id: 'r7', field: 'pplAfter' } });
    expect(bad.kind === 'invalid' && bad.problem.message).toMatch(/stored run r7: pplAfter must be a number or null/);
    expect(checkStoredRun({ ...storedFormOf(run()), planId: 42 })).toMatchObject({ kind: 'invalid', problem: { field: 'planId' } });
    expect(checkStoredRun({ ...storedFormOf(run()), schemaVersion: 1.5 })).toMatchObject({ kind: 'invalid', problem: { field: 'schemaVersion' } });
    expect(checkStoredRun({ ...v1Record(), methodKind: 'magic' })).toMatchObject({ kind: 'invalid', problem: { field: 'methodKind' } });
    expect(checkStoredRun('not a run')).toMatchObject({ kind: 'invalid', problem: { id: null } });
  });

  it('the notice counts hidden and discarded runs and names the fields', () => {
    expect(storedRunsNotice({ newer: 0, discarded: [] })).toBeNull();
    expect(storedRunsNotice({ newer: 2, discarded: [] })).toMatch(/^2 stored runs were saved by a newer version of Prunelab and are hidden/);
    expect(storedRunsNotice({ newer: 1, discarded: [{ id: 'a', message: 'm', field: 'pplAfter' }] })).toMatch(
      /^1 stored run was saved by a newer version of Prunelab and is hidden .*1 stored run could not be read and was discarded \(field pplAfter\)\.$/,
    );
  });
});

describe('memory run storage: load', () => {
  it('migrates older records and writes them back, hides newer ones (kept), discards unreadable ones (deleted)', async () => {
    const newer = { schemaVersion: RUNS_SCHEMA_VERSION + 1, id: 'from-the-future', finishedAtMs: 5 };
    const storage = memoryRunStorage([v1Record({ id: 'old', finishedAtMs: 2 }), storedFormOf(run({ id: 'now', finishedAtMs: 1 })), newer, { ...v1Record({ id: 'broken' }), layersAfter: -1 }]);
    const first = await storage.load();
    expect(first.runs.map((r) => r.id)).toEqual(['now', 'old']); // oldest first
    expect(first.migrated).toBe(1);
    expect(first.newer).toBe(1);
    expect(first.discarded).toEqual([expect.objectContaining({ id: 'broken', field: 'layersAfter' })]);

    // Second load: the migration was written back (nothing to migrate), the broken record is gone, the newer one stays.
    const second = await storage.load();
    expect(second.runs).toEqual(first.runs);
    expect(second.migrated).toBe(0);
    expect(second.discarded).toEqual([]);
    expect(second.newer).toBe(1);

    // "Clear runs" deletes what this build reads; the newer build's run stays.
    await storage.clear();
    const cleared = await storage.load();
    expect(cleared.runs).toEqual([]);
    expect(cleared.newer).toBe(1);
  });

  it('putAll stores several runs at once, tagged with the current version', async () => {
    const storage = memoryRunStorage();
    await storage.putAll([run({ id: 'a' }), run({ id: 'b', finishedAtMs: 1_800_000_000_000 })]);
    const report = await storage.load();
    expect(report.runs.map((r) => r.id)).toEqual(['a', 'b']);
    expect(report.migrated).toBe(0);
  });
});

describe('runs slice: the notice', () => {
  it('loadRuns shows the readable runs and a notice for hidden and discarded ones; dismiss clears it', async () => {
    const storage = memoryRunStorage([
      storedFormOf(run({ id: 'ok' })),
      v1Record({ id: 'old', finishedAtMs: 1_600_000_000_000 }),
      { schemaVersion: 99, id: 'n1' },
      { schemaVersion: 99, id: 'n2' },
      { ...storedFormOf(run({ id: 'bad' })), calibration: { windows: 'four' } },
    ]);
    const store = await loadedStore(storage);
    const runs = store.getState().runs;
    expect(runs.status).toBe('done');
    expect(runs.runs.map((r) => r.id)).toEqual(['old', 'ok']);
    expect(runs.notice).toBe(
      '2 stored runs were saved by a newer version of Prunelab and are hidden (kept in this browser; a newer version shows them). 1 stored run could not be read and was discarded (field calibration).',
    );
    store.getState().dismissRunsNotice();
    expect(store.getState().runs.notice).toBeNull();

    // A reload: the discarded run is gone for good, the newer ones are still hidden (and said again).
    const reloaded = await loadedStore(storage);
    expect(reloaded.getState().runs.runs.map((r) => r.id)).toEqual(['old', 'ok']);
    expect(reloaded.getState().runs.notice).toMatch(/^2 stored runs were saved by a newer version/);
    expect(reloaded.getState().runs.notice).not.toMatch(/discarded/);
  });

  it('no notice when every stored run reads', async () => {
    const store = await loadedStore(memoryRunStorage([storedFormOf(run()), v1Record({ id: 'old' })]));
    expect(store.getState().runs.notice).toBeNull();
    expect(store.getState().runs.runs).toHaveLength(2);
  });

  it('counts a write in runs.saving until the storage has committed it', async () => {
    let commit!: () => void;
    const slow: RunStorage = { ...memoryRunStorage(), putAll: () => new Promise<void>((resolve) => (commit = resolve)) };
    const store = await loadedStore(slow);
    const importing = store.getState().importRuns(JSON.stringify([run({ id: 'imported' })]), 'runs.json');
    await Promise.resolve();
    expect(store.getState().runs.saving).toBe(1);
    commit();
    await importing;
    expect(store.getState().runs.saving).toBe(0);
  });
});

describe('stored settings: versions', () => {
  function storage(items: Record<string, string>): Storage {
    const map = new Map(Object.entries(items));
    return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) } as unknown as Storage;
  }

  it('reads the bare value (v1) and {v: 1, value}; another version, an array or bad JSON falls back to the default', () => {
    const store = storage({
      'prunelab.setting.a': '"wikitext2"',
      'prunelab.setting.b': '{"v":1,"value":"wikitext2"}',
      'prunelab.setting.c': '{"v":2,"value":"wikitext2"}',
      'prunelab.setting.d': '["wikitext2"]',
      'prunelab.setting.e': '{"v":1,',
    });
    const read = (key: string) => readStoredSetting(key, 'tinystories', ['tinystories', 'wikitext2'], store);
    expect(['a', 'b', 'c', 'd', 'e'].map(read)).toEqual(['wikitext2', 'wikitext2', 'tinystories', 'tinystories', 'tinystories']);
  });
});
