// Where finished runs are kept between visits: a small async interface, an in-memory implementation
// (tests, no IndexedDB) and IndexedDB (database 'prunelab', object store 'runs', keyPath 'id').
// Must not import React, the worker or the engine.

import type { RunRecord } from './run-record';

export interface RunStorage {
  /** Every stored run, oldest first. */
  loadAll(): Promise<RunRecord[]>;
  put(run: RunRecord): Promise<void>;
  delete(id: string): Promise<void>;
  clear(): Promise<void>;
}

/** Keeps runs in a Map; a structured clone on the way in and out, as IndexedDB would. */
export function memoryRunStorage(initial: RunRecord[] = []): RunStorage {
  const runs = new Map<string, RunRecord>(initial.map((r) => [r.id, structuredClone(r)]));
  return {
    async loadAll() {
      return [...runs.values()].map((r) => structuredClone(r)).sort((a, b) => a.finishedAtMs - b.finishedAtMs);
    },
    async put(run) {
      runs.set(run.id, structuredClone(run));
    },
    async delete(id) {
      runs.delete(id);
    },
    async clear() {
      runs.clear();
    },
  };
}

export const runsDatabaseName = 'prunelab';
export const runsStoreName = 'runs';

function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed.'));
  });
}

function openDatabase(factory: IDBFactory): Promise<IDBDatabase> {
  const request = factory.open(runsDatabaseName, 1);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(runsStoreName)) request.result.createObjectStore(runsStoreName, { keyPath: 'id' });
  };
  return requestDone(request);
}

export function indexedDbRunStorage(factory: IDBFactory): RunStorage {
  let database: Promise<IDBDatabase> | null = null;
  const store = async (mode: IDBTransactionMode) => {
    database ??= openDatabase(factory);
    return (await database).transaction(runsStoreName, mode).objectStore(runsStoreName);
  };
  return {
    async loadAll() {
      const runs = await requestDone((await store('readonly')).getAll() as IDBRequest<RunRecord[]>);
      return runs.sort((a, b) => a.finishedAtMs - b.finishedAtMs);
    },
    async put(run) {
      await requestDone((await store('readwrite')).put(run));
    },
    async delete(id) {
      await requestDone((await store('readwrite')).delete(id));
    },
    async clear() {
      await requestDone((await store('readwrite')).clear());
    },
  };
}

/** IndexedDB where the environment has it (the browser), else memory (Node tests, private modes without it). */
export function defaultRunStorage(): RunStorage {
  return typeof indexedDB !== 'undefined' ? indexedDbRunStorage(indexedDB) : memoryRunStorage();
}
