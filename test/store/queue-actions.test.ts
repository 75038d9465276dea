// The run queue against FakeLab + memory storage: items run one at a time in order, each recorded;
// cancelling a queued item skips it, cancelling the running one leaves the rest to run; a failure does
// not stop the queue; prune() still runs one; items wait while an evaluation runs.

import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import type { JobOptions, MethodInfo, PruneProgress, PruneRequest, PruneResult } from '../../src/lab/lab-api';
import { isBusy } from '../../src/store/lab-state';
import { createLabStore } from '../../src/store/lab-store';
import type { QueuedRun } from '../../src/store/pruning-state';
import { memoryRunStorage } from '../../src/store/run-storage';
import { FakeLab, fakeMethods, tick } from '../lab/fake-lab';

/** FakeLab whose methods declare ratio params (as the real ones do), logging when each run starts and ends. */
class QueueLab extends FakeLab {
  log: string[] = [];
  running = 0;
  maxRunning = 0;
  /** Runs with this sparsity fail with a runtime error. */
  failAtSparsity: number | null = null;
  override async methods(): Promise<MethodInfo[]> {
    return fakeMethods().map((m) =>
      m.id === 'wanda' ? { ...m, ratioParam: { name: 'sparsity', unit: 'fraction' } } : m.id === 'sleb' ? { ...m, ratioParam: { name: 'numBlocks', unit: 'blocks' } } : m,
    );
  }
  override async prune(request: PruneRequest, options: JobOptions<PruneProgress> = {}): Promise<PruneResult> {
    const name = `${request.methodId}:${String(request.params.sparsity ?? request.params.numBlocks ?? request.params.blocks)}`;
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.log.push(`start ${name}`);
    try {
      if (request.params.sparsity === this.failAtSparsity) {
        await tick(2);
        throw new LabError('runtime', `fake: ${name} failed`);
      }
      return await super.prune(request, options);
    } finally {
      this.running -= 1;
      this.log.push(`end ${name}`);
    }
  }
}

const demo = async () => [
  { path: 'config.json', blob: new Blob(['{}']) },
  { path: 'onnx/model.onnx', blob: new Blob([new Uint8Array(10)]) },
];

async function startedStore(lab = new QueueLab()) {
  const store = createLabStore(lab, memoryRunStorage());
  await store.getState().start(demo, 'demo');
  store.getState().setPruneSettings({ evalMaxWindows: '1', measureSpeed: false, generate: false });
  return { lab, store };
}

const statuses = (queue: QueuedRun[]) => queue.map((item) => item.status);
const until = async (condition: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await tick(1);
  }
};

describe('run queue', () => {
  it('runs a sweep one item at a time in order, recording each run and mirroring the running item in job', async () => {
    const { lab, store } = await startedStore();
    store.getState().setSweep({ methodIds: ['wanda', 'sleb'], ratios: '0.2, 0.4' });
    const mirrored: string[] = [];
    const unsubscribe = store.subscribe((s) => {
      const running = s.pruning.queue.find((q) => q.status === 'running');
      if (running && s.pruning.job.status === 'running' && mirrored.at(-1) !== running.id) mirrored.push(running.id);
    });
    const ids = store.getState().enqueueSweep();
    expect(ids).toHaveLength(4);
    await store.getState().runQueue();
    unsubscribe();
    const { queue, job } = store.getState().pruning;
    expect(statuses(queue)).toEqual(['done', 'done', 'done', 'done']);
    expect(lab.maxRunning).toBe(1);
    expect(lab.log).toEqual(['start sleb:1', 'end sleb:1', 'start sleb:2', 'end sleb:2', 'start wanda:0.2', 'end wanda:0.2', 'start wanda:0.4', 'end wanda:0.4']);
    expect(mirrored).toEqual(ids);
    const runs = store.getState().runs.runs;
    expect(runs.map((r) => [r.methodId, r.params.sparsity ?? r.params.numBlocks])).toEqual([['sleb', 1], ['sleb', 2], ['wanda', 0.2], ['wanda', 0.4]]);
    expect(queue.map((q) => q.runId)).toEqual(runs.map((r) => r.id));
    expect(job.status).toBe('done');
    expect(job.result?.overallSparsity).toBe(0.4);
    expect(queue[2].label).toBe('Wanda · sparsity=0.2 · TinyStories ×16');
    expect(queue[3].progress?.fraction).toBe(1);
  });

  it('a cancelled queued item never runs; cancelling the running one lets the later ones run and finish', async () => {
    const lab = new QueueLab();
    lab.pruneStepDelayMs = 10;
    const { store } = await startedStore(lab);
    store.getState().setSweep({ methodIds: ['wanda'], ratios: '0.1, 0.2, 0.3, 0.4' });
    const [first, second, third] = store.getState().enqueueSweep();
    const drained = store.getState().runQueue();
    store.getState().cancelQueued(third);
    await until(() => store.getState().pruning.job.progress !== null);
    expect(store.getState().pruning.queue[0].status).toBe('running');
    store.getState().cancelQueued(first);
    await drained;
    const { queue, job } = store.getState().pruning;
    expect(statuses(queue)).toEqual(['cancelled', 'done', 'cancelled', 'done']);
    expect(queue.find((q) => q.id === second)?.runId).toBe(store.getState().runs.runs[0].id);
    expect(lab.log.filter((l) => l.startsWith('start'))).toEqual(['start wanda:0.1', 'start wanda:0.2', 'start wanda:0.4']);
    expect(store.getState().runs.runs.map((r) => r.params.sparsity)).toEqual([0.2, 0.4]);
    expect(job.status).toBe('done');
    expect(store.getState().error).toBeNull();
    store.getState().clearFinishedQueue();
    expect(store.getState().pruning.queue).toEqual([]);
  });

  it('a failed item records its error and the queue goes on', async () => {
    const lab = new QueueLab();
    lab.failAtSparsity = 0.2;
    const { store } = await startedStore(lab);
    store.getState().setSweep({ methodIds: ['wanda'], ratios: '0.1, 0.2, 0.3' });
    store.getState().enqueueSweep();
    await store.getState().runQueue();
    const { queue } = store.getState().pruning;
    expect(statuses(queue)).toEqual(['done', 'failed', 'done']);
    expect(queue[1].error).toMatchObject({ code: 'runtime', message: 'fake: wanda:0.2 failed' });
    expect(queue[1].runId).toBeNull();
    expect(store.getState().runs.runs.map((r) => r.params.sparsity)).toEqual([0.1, 0.3]);
    expect(store.getState().error).toMatchObject({ code: 'runtime', during: 'Pruning with Wanda · sparsity=0.2 · TinyStories ×16' });
  });

  it('prune() queues the current form and runs it; cancelPrune() cancels only the running item', async () => {
    const lab = new QueueLab();
    lab.pruneStepDelayMs = 10;
    const { store } = await startedStore(lab);
    store.getState().selectMethod('wanda');
    const running = store.getState().prune();
    expect(isBusy(store.getState())).toBe(true);
    store.getState().setParamValue('wanda', 'sparsity', '0.3');
    // Run while the queue runs: joins it.
    const added = store.getState().prune();
    expect(statuses(store.getState().pruning.queue)).toEqual(['running', 'queued']);
    await until(() => store.getState().pruning.job.progress !== null);
    store.getState().cancelPrune();
    await Promise.all([running, added]);
    expect(statuses(store.getState().pruning.queue)).toEqual(['cancelled', 'done']);
    expect(store.getState().pruning.job.result?.overallSparsity).toBe(0.3);
    expect(store.getState().runs.runs).toHaveLength(1);
  });

  it('invalid values queue nothing and show a bad-argument error', async () => {
    const { lab, store } = await startedStore();
    store.getState().selectMethod('wanda');
    store.getState().setParamValue('wanda', 'sparsity', '2');
    expect(store.getState().enqueueCurrent()).toBeNull();
    expect(store.getState().error).toMatchObject({ code: 'bad-argument' });
    store.getState().setSweep({ methodIds: ['wanda'], ratios: '0.5, nope' });
    expect(store.getState().enqueueSweep()).toEqual([]);
    expect(store.getState().error).toMatchObject({ code: 'bad-argument', during: 'Adding the sweep to the queue' });
    expect(store.getState().error?.message).toContain('"nope"');
    expect(store.getState().pruning.queue).toEqual([]);
    expect(lab.log).toEqual([]);
  });

  it('items added while an evaluation runs wait, then start when it ends', async () => {
    const lab = new QueueLab();
    lab.windowDelayMs = 10;
    const { store } = await startedStore(lab);
    const evaluation = store.getState().evaluate({ text: { kind: 'bundled', id: 'tinystories' }, maxWindows: 4 });
    store.getState().selectMethod('wanda');
    store.getState().enqueueCurrent();
    store.getState().setSweep({ methodIds: ['sleb'], ratios: '0.2' });
    store.getState().enqueueSweep();
    await tick(15);
    expect(statuses(store.getState().pruning.queue)).toEqual(['queued', 'queued']);
    expect(lab.log).toEqual([]);
    await evaluation;
    expect(store.getState().evaluation.status).toBe('done');
    await until(() => statuses(store.getState().pruning.queue).every((s) => s === 'done'));
    expect(lab.log).toEqual(['start wanda:0.5', 'end wanda:0.5', 'start sleb:1', 'end sleb:1']);
    expect(store.getState().runs.runs).toHaveLength(2);
  });

  it('an item queued for one model is cancelled, not run, when another model is loaded before it starts', async () => {
    const { lab, store } = await startedStore();
    const loading = store.getState().loadModel([{ path: 'other/model.onnx', blob: new Blob([new Uint8Array(20)]) }], 'other');
    expect(isBusy(store.getState())).toBe(true);
    store.getState().selectMethod('wanda');
    const id = store.getState().enqueueCurrent(); // built for the demo model, which is still loaded
    expect(store.getState().pruning.queue[0]).toMatchObject({ id, status: 'queued' });
    await loading;
    await until(() => store.getState().pruning.queue[0].status !== 'queued');
    expect(store.getState().pruning.queue[0].status).toBe('cancelled');
    expect(store.getState().pruning.queue[0].error?.message).toMatch(/Queued for another model/);
    expect(lab.log).toEqual([]);
    // Queued now, for the loaded model, it runs.
    store.getState().enqueueCurrent();
    await until(() => store.getState().pruning.queue[1].status === 'done');
    expect(lab.log).toEqual(['start wanda:0.5', 'end wanda:0.5']);
  });
});
