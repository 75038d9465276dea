// Row actions of the Runs table against FakeLab: a run keeps its plan id and request; Delete removes it
// from the table, storage and the lab's plans; Baseline pins one run (kept across stores via
// localStorage where there is one); Re-run queues the same request (marked as a duplicate); Export
// asks the lab for the stored plan; runMarks numbers runs and marks duplicates and the best per ratio.

import { describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/lab-store';
import { runMarks } from '../../src/store/run-marks';
import { memoryRunStorage } from '../../src/store/run-storage';
import { FakeLab } from '../lab/fake-lab';
import { newRun } from '../ui/runs/fixtures';

const demo = async () => [
  { path: 'config.json', blob: new Blob(['{}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) },
];

async function storeWithRuns() {
  const lab = new FakeLab();
  const storage = memoryRunStorage();
  const store = createLabStore(lab, storage);
  await store.getState().start(demo, 'demo');
  await store.getState().loadRuns();
  for (const blocks of ['2', '1,3']) {
    store.getState().selectMethod('drop-blocks');
    store.getState().setParamValue('drop-blocks', 'blocks', blocks);
    store.getState().setPruneSettings({ evalMaxWindows: '1', evalSeqLen: '64', measureSpeed: false });
    await store.getState().prune();
  }
  return { lab, storage, store };
}

describe('run actions', () => {
  it('records the plan id and the request; Delete removes the run from table, storage and the lab', async () => {
    const { lab, storage, store } = await storeWithRuns();
    const [first, second] = store.getState().runs.runs;
    expect(first.planId).toBe('plan-fake-1');
    expect(first.request?.params).toEqual({ blocks: '2' });
    expect(first.request?.evaluation?.part).toBe('tail');
    await store.getState().deleteRun(first.id);
    expect(store.getState().runs.runs.map((r) => r.id)).toEqual([second.id]);
    expect((await storage.loadAll()).map((r) => r.id)).toEqual([second.id]);
    expect(lab.deletedPlans).toEqual(['plan-fake-1']);
  });

  it('pins and unpins a baseline; deleting the baseline unpins it', async () => {
    const { store } = await storeWithRuns();
    const [first] = store.getState().runs.runs;
    store.getState().setBaseline(first.id);
    expect(store.getState().runs.baselineRunId).toBe(first.id);
    store.getState().setBaseline(null);
    expect(store.getState().runs.baselineRunId).toBeNull();
    store.getState().setBaseline(first.id);
    await store.getState().deleteRun(first.id);
    expect(store.getState().runs.baselineRunId).toBeNull();
  });

  it('Re-run queues the same request; the new run is marked as a repeat of the first', async () => {
    const { store } = await storeWithRuns();
    const [first] = store.getState().runs.runs;
    expect(store.getState().rerun(first.id)).not.toBeNull();
    await store.getState().runQueue();
    const runs = store.getState().runs.runs;
    expect(runs).toHaveLength(3);
    expect(runs[2].request).toEqual(first.request);
    const marks = runMarks(runs);
    expect(marks.get(runs[2].id)).toMatchObject({ number: 3, duplicateOf: 1 });
    expect(marks.get(runs[1].id)!.duplicateOf).toBeNull();
  });

  it('Re-run of a run calibrated on a dropped file asks for that file by name', async () => {
    const { store } = await storeWithRuns();
    const [first] = store.getState().runs.runs;
    const fromFile = { ...first, id: 'run-file', request: { ...first.request!, calibration: { ...first.request!.calibration, text: { kind: 'file' as const, name: 'notes.txt', text: '' } } } };
    store.setState((s) => ({ runs: { ...s.runs, runs: [...s.runs.runs, fromFile] } }));
    expect(store.getState().rerun('run-file')).toBeNull();
    expect(store.getState().error).toMatchObject({ code: 'bad-text', message: expect.stringMatching(/notes\.txt.*choose notes\.txt/) });
  });

  it('Export of a stored run asks the lab for its plan and saves the files', async () => {
    const { lab, store } = await storeWithRuns();
    const [, second] = store.getState().runs.runs;
    let saved = 0;
    await store.getState().exportRun(second.id, async (files) => {
      saved = files.length;
      return 'downloads';
    });
    expect(lab.exportedWhich).toBe('stored');
    expect(lab.exportedPlanId).toBe(second.planId);
    expect(saved).toBeGreaterThan(0);
    expect(store.getState().runs.exporting).toMatchObject({ runId: second.id, status: 'done', savedTo: 'downloads' });
  });

  it('marks the lowest perplexity among two or more runs at one ratio on the same windows', () => {
    const base = { pplTextName: 'tinystories (held-out last quarter)', pplWindows: 4, pplSeqLen: 128 };
    const runs = [
      newRun({ id: 'a', methodId: 'wanda', params: { sparsity: 0.5 }, overallSparsity: 0.5, pplAfter: 12, ...base }),
      newRun({ id: 'b', methodId: 'magnitude', params: { sparsity: 0.5 }, overallSparsity: 0.5, pplAfter: 20, ...base }),
      newRun({ id: 'c', methodId: 'wanda', params: { sparsity: 0.7 }, overallSparsity: 0.7, pplAfter: 30, ...base }),
    ];
    const marks = runMarks(runs);
    expect([...marks.values()].map((m) => m.best)).toEqual([true, false, false]);
    expect([...marks.values()].map((m) => m.number)).toEqual([1, 2, 3]);
  });
});
