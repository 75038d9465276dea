// Small values kept in this browser's localStorage across reloads (baseline pin, last model, panel
// settings, first visit). Storage that is missing (Node), blocked or full only loses the memory of the
// value: reads give null, writes are dropped. Pure apart from localStorage.

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The stored string of `key`, or null (none, or storage unavailable). */
export function readLocal(key: string, store: Storage | null = defaultStorage()): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** Stores `value` under `key`; null removes it. */
export function writeLocal(key: string, value: string | null, store: Storage | null = defaultStorage()): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    // storage blocked or full: the value lasts until reload
  }
}
