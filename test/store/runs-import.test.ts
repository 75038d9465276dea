// "Import runs": a runs file ("Export JSON", `lab runs merge`) parsed and checked field by field (a bad file
// names the file, the run and the field), then added to the runs slice with its model hash; the lab stays usable.

import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { createLabStore } from '../../src/store/lab-store';
import { modelKeyOf, type RunRecord } from '../../src/store/run-record';
import { memoryRunStorage } from '../../src/store/run-storage';
import { runsToJson } from '../../src/store/runs-csv';
import { parseRunsJson, runRecordFromJson } from '../../src/store/runs-import';
import { visibleRuns } from '../../src/store/runs-actions';
import { FakeLab, summaryFor } from '../lab/fake-lab';

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'sweep-1', finishedAtMs: 1_700_000_000_000, modelName: 'stories260K', modelKey: 'abcdef0123456789',
    methodId: 'wanda', methodLabel: 'Wanda', methodKind: 'sparsity', params: { sparsity: 0.5, pattern: 'unstructured' },
    calibration: { windows: 4, seqLen: 64, sampling: 'first', seed: 0, textName: 'calib.txt' },
    overallSparsity: 0.5, layersBefore: 5, layersAfter: 5, parametersBefore: 260_000, parametersAfter: 260_000,
    pplBefore: 7.8, pplAfter: 9.1, pplWindows: 2, pplSeqLen: 64, pplTextName: 'heldout.txt',
    decodeTokensPerSDense: null, decodeTokensPerSPruned: null, prefillMsDense: null, prefillMsPruned: null, speedAdapter: null,
    elapsedMs: 812, removedBlocks: [], blockSparsity: [0.5, 0.5, 0.5, 0.5, 0.5],
    layerSparsity: [{ block: 0, name: 'q_proj', sparsity: 0.5 }], trace: [{ kind: 'layer-pruned', block: 0, sparsity: 0.5 }],
    generation: null, fp32BytesAfter: 1_040_000, sweep: { manifest: 'sweep.json', manifestHash: '4809979de5b6a83a', index: 3, runs: 6 },
    ...overrides,
  };
}

const message = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(LabError);
    return (error as LabError).message;
  }
  throw new Error('did not throw');
};

describe('parseRunsJson', () => {
  it('reads back what "Export JSON" / runs merge write, derived fields dropped; {runs: [...]} too; first of an id kept', () => {
    const runs = [run(), run({ id: 'old', sweep: undefined, layerSparsity: undefined, trace: undefined, generation: undefined, fp32BytesAfter: undefined })];
    const strip = (r: RunRecord) => JSON.parse(JSON.stringify(r));
    expect(parseRunsJson(runsToJson(runs), 'runs.json')).toEqual(runs.map(strip));
    expect(parseRunsJson(JSON.stringify({ runs: [run(), run({ pplAfter: 99 })] }), 'r.json')).toEqual([run()]);
    const { overallSparsity: _o, ...older } = run();
    expect(runRecordFromJson(older, 'x')).not.toHaveProperty('overallSparsity');
  });

  it('a bad file names the file, the run and the field', () => {
    expect(message(() => parseRunsJson('{"runs": ', 'r.json'))).toMatch(/^r\.json: not JSON/);
    expect(message(() => parseRunsJson('{"id": 1}', 'r.json'))).toMatch(/^r\.json: not a runs file/);
    const { pplAfter: _p, ...lacking } = run();
    expect(message(() => parseRunsJson(JSON.stringify([run(), lacking]), 'r.json'))).toBe('r.json: run 2: pplAfter is missing');
    const cases: [Partial<Record<keyof RunRecord, unknown>>, string][] = [
      [{ modelKey: 'not-hex' }, 'modelKey must be the model hash'],
      [{ methodKind: 'rows' }, "methodKind must be 'blocks', 'sparsity' or 'width'"],
      [{ params: { sparsity: [1] } }, 'params must be an object of numbers'],
      [{ calibration: { windows: 4 } }, 'calibration must be {windows'],
      [{ removedBlocks: [1.5] }, 'removedBlocks must be a list of block indices'],
      [{ pplBefore: 'n/a' }, 'pplBefore must be a number or null, got "n/a"'],
      [{ id: '' }, 'id must be a non-empty string'],
      [{ sweep: { index: 1 } }, 'sweep must be {manifest'],
      [{ generation: { prompt: 'x' } }, 'generation must be null or {prompt'],
    ];
    for (const [bad, text] of cases) expect(message(() => parseRunsJson(JSON.stringify([run(bad as Partial<RunRecord>)]), 'r.json'))).toContain(`r.json: run 1: ${text}`);
    expect(message(() => parseRunsJson('[3]', 'r.json'))).toMatch(/run 1: not a run/);
  });
});

describe('importRuns', () => {
  const demo = async () => [{ path: 'config.json', blob: new Blob(['{}']) }];

  it('adds the runs with their model hash, stores them, skips ids already listed; a bad file shows an error, adds nothing', async () => {
    const storage = memoryRunStorage();
    const store = createLabStore(new FakeLab(), storage);
    await store.getState().start(demo, 'demo');
    await store.getState().loadRuns();
    const mine = run({ id: 'a', modelKey: modelKeyOf(store.getState().model!) });
    const other = run({ id: 'b', modelKey: modelKeyOf(summaryFor('another', 1)) });
    expect(await store.getState().importRuns(runsToJson([mine, other]), 'runs.json')).toEqual({ added: 2, skipped: 0, otherModels: 1 });
    expect(store.getState().runs.runs.map((r) => [r.id, r.modelKey])).toEqual([['a', mine.modelKey], ['b', other.modelKey]]);
    expect((await storage.loadAll()).map((r) => r.id).sort()).toEqual(['a', 'b']);
    expect(visibleRuns(store.getState()).map((r) => r.id)).toEqual(['a']);
    expect(await store.getState().importRuns(runsToJson([mine]), 'runs.json')).toEqual({ added: 0, skipped: 1, otherModels: 0 });

    expect(await store.getState().importRuns('not json', 'notes.txt')).toBeNull();
    expect(store.getState().error).toMatchObject({ during: 'Importing runs', code: 'corrupt', message: expect.stringMatching(/^notes\.txt: not JSON/) });
    expect(store.getState().runs.runs).toHaveLength(2);
    store.getState().dismissError();
    expect(await store.getState().importRuns(runsToJson([run({ id: 'c' })]), 'later.json')).toMatchObject({ added: 1 });
  });
});
