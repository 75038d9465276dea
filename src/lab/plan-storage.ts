// Where the lab keeps each prune run's plan, so any stored run can be exported again later (also after a
// reload): re-applying the plan to the same loaded weights gives the same model, byte for byte. The
// worker writes IndexedDB itself (database 'prunelab-plans', store 'plans'): the plan's arrays never
// cross to the page. Node (the CLI) keeps none by default: a sweep would hold every run's plan in memory;
// tests pass memoryPlanStorage().

import type { ModelCardRun } from '../export/model-card';
import type { CompactPlan } from '../pruning/plan-compact';

export interface StoredPlan {
  id: string;
  /** ModelSummary.weightsHash of the dense model the plan was made on; export needs the same weights loaded. */
  weightsHash: string;
  modelName: string;
  savedAtMs: number;
  /** Packed masks and updates, in bytes. */
  bytes: number;
  plan: CompactPlan;
  /** The run's facts for the exported model card. */
  card: ModelCardRun;
}

export interface PlanStorage {
  put(plan: StoredPlan): Promise<void>;
  get(id: string): Promise<StoredPlan | null>;
  delete(id: string): Promise<void>;
}

/** Plans larger than this are not kept (the run stays, but exports only until the next run or reload). */
export const MAX_STORED_PLAN_BYTES = 1024 ** 3;

export function memoryPlanStorage(): PlanStorage {
  const plans = new Map<string, StoredPlan>();
  return {
    async put(plan) {
      plans.set(plan.id, plan);
    },
    async get(id) {
      return plans.get(id) ?? null;
    },
    async delete(id) {
      plans.delete(id);
    },
  };
}

function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed.'));
  });
}

export function indexedDbPlanStorage(factory: IDBFactory): PlanStorage {
  let database: Promise<IDBDatabase> | null = null;
  const store = async (mode: IDBTransactionMode) => {
    database ??= (() => {
      const request = factory.open('prunelab-plans', 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains('plans')) request.result.createObjectStore('plans', { keyPath: 'id' });
      };
      return requestDone(request);
    })();
    return (await database).transaction('plans', mode).objectStore('plans');
  };
  return {
    async put(plan) {
      await requestDone((await store('readwrite')).put(plan));
    },
    async get(id) {
      return ((await requestDone((await store('readonly')).get(id))) as StoredPlan | undefined) ?? null;
    },
    async delete(id) {
      await requestDone((await store('readwrite')).delete(id));
    },
  };
}

/** IndexedDB where the environment has it (the worker), else none (null). */
export function defaultPlanStorage(): PlanStorage | null {
  return typeof indexedDB !== 'undefined' ? indexedDbPlanStorage(indexedDB) : null;
}
