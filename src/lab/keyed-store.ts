// Keyed values (keyPath 'id') the lab keeps between visits, in memory (tests, Node) or in an IndexedDB object
// store (lab/indexed-db plumbing: one transaction per call, awaited to `complete`). The record stores built on
// it (store/run-storage, store/speed-storage) decide what their values mean; this only keeps them.

import { storeTransactions, transactionDone } from './indexed-db';

/** What a scan does with one stored value: leave it, delete it, or store another value in its place. */
export type ScanAction = 'keep' | 'delete' | { rewrite: unknown };

export interface KeyedStore {
  /** Visits every stored value (in one readwrite transaction); `visit` says what becomes of each. */
  scan(visit: (value: unknown) => ScanAction): Promise<void>;
  /** Stores each value under its `id` (one transaction for all). */
  putAll(values: readonly { id: string }[]): Promise<void>;
  delete(id: string): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Values in a Map, structured-cloned on the way in and out as IndexedDB would; `initial` as found in storage (any form). */
export function memoryKeyedStore(initial: readonly unknown[] = []): KeyedStore {
  const values = new Map<unknown, unknown>(initial.map((v, i) => [isObject(v) && v.id !== undefined ? v.id : Symbol(`value ${i}`), structuredClone(v)]));
  return {
    async scan(visit) {
      for (const [key, value] of [...values]) {
        const action = visit(structuredClone(value));
        if (action === 'delete') values.delete(key);
        else if (action !== 'keep') values.set(key, structuredClone(action.rewrite));
      }
    },
    async putAll(list) {
      for (const value of list) values.set(value.id, structuredClone(value));
    },
    async delete(id) {
      values.delete(id);
    },
  };
}

/** Object store `store` of database `name` (made when missing). */
export function indexedDbKeyedStore(factory: IDBFactory, name: string, store: string): KeyedStore {
  const transaction = storeTransactions(factory, name, store);
  return {
    async scan(visit) {
      const tx = await transaction('readwrite');
      const done = transactionDone(tx);
      const cursorRequest = tx.objectStore(store).openCursor();
      cursorRequest.onsuccess = () => {
        const cursor = cursorRequest.result;
        if (!cursor) return;
        const action = visit(cursor.value);
        if (action === 'delete') cursor.delete();
        else if (action !== 'keep') cursor.update(action.rewrite);
        cursor.continue();
      };
      await done;
    },
    async putAll(list) {
      if (list.length === 0) return;
      const tx = await transaction('readwrite');
      const objects = tx.objectStore(store);
      for (const value of list) objects.put(value);
      await transactionDone(tx);
    },
    async delete(id) {
      const tx = await transaction('readwrite');
      tx.objectStore(store).delete(id);
      await transactionDone(tx);
    },
  };
}
