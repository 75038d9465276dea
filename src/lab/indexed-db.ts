// The IndexedDB plumbing the lab's stores share: the page's run storage (store/run-storage) and the worker's
// plan storage (plan-storage). A database is opened at whatever version it has (a later build that raised it
// must not lock this one out), its object store made when missing; every transaction is 'strict' where the
// browser has durability hints and is awaited to `complete`, so what resolved is on disk. Browser only.

/** Resolves when the transaction has committed (not merely when its requests succeeded); rejects if it aborts. */
export function transactionDone(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted.'));
  });
}

function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed.'));
  });
}

/**
 * Opens `name` at whatever version it has, creating `store` (keyPath 'id') when missing. Closes itself when
 * another tab upgrades it; `onClosed` then drops the cached connection so the next call reopens.
 */
async function openStoreDatabase(factory: IDBFactory, name: string, store: string, onClosed: () => void, version?: number): Promise<IDBDatabase> {
  const request = version === undefined ? factory.open(name) : factory.open(name, version);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store, { keyPath: 'id' });
  };
  const database = await requestDone(request);
  if (!database.objectStoreNames.contains(store)) {
    const next = database.version + 1;
    database.close();
    return openStoreDatabase(factory, name, store, onClosed, next);
  }
  database.onversionchange = () => {
    database.close();
    onClosed();
  };
  database.onclose = onClosed;
  return database;
}

/**
 * Transactions on object store `store` of database `name`, over one cached connection (opened on first use,
 * reopened after a failed open or after another tab closed it); each with durability 'strict'.
 */
export function storeTransactions(factory: IDBFactory, name: string, store: string): (mode: IDBTransactionMode) => Promise<IDBTransaction> {
  let database: Promise<IDBDatabase> | null = null;
  return async (mode) => {
    database ??= openStoreDatabase(factory, name, store, () => (database = null));
    const opened = database;
    try {
      return (await opened).transaction(store, mode, { durability: 'strict' });
    } catch (error) {
      if (database === opened) database = null; // a failed open is retried next time
      throw error;
    }
  };
}
