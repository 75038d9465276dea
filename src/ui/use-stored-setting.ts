// A panel setting that survives a reload: React state mirrored to localStorage under
// 'prunelab.setting.<key>'. A stored value of another type, or one outside `allowed`, is ignored (the
// default applies); storage that throws (blocked, full) only loses the memory of the setting.
// Texts and files the user dropped are never stored this way: only small typed settings.

import { useCallback, useState } from 'react';

type Setting = string | number | boolean;

const PREFIX = 'prunelab.setting.';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The stored value of `key` when it has the default's type (and is one of `allowed`, if given), else the default. */
export function readStoredSetting<T extends Setting>(key: string, fallback: T, allowed?: readonly T[], store: Storage | null = storage()): T {
  try {
    const raw = store?.getItem(PREFIX + key);
    if (raw === null || raw === undefined) return fallback;
    const value: unknown = JSON.parse(raw);
    if (typeof value !== typeof fallback) return fallback;
    if (allowed && !allowed.includes(value as T)) return fallback;
    return value as T;
  } catch {
    return fallback;
  }
}

export function writeStoredSetting(key: string, value: Setting, store: Storage | null = storage()): void {
  try {
    store?.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // storage blocked or full: the setting lasts until reload
  }
}

/** useState for a setting kept across reloads: free text, a flag, or one of `allowed`. */
export function useStoredSetting(key: string, fallback: string): [string, (value: string) => void];
export function useStoredSetting(key: string, fallback: boolean): [boolean, (value: boolean) => void];
export function useStoredSetting<T extends string>(key: string, fallback: T, allowed: readonly T[]): [T, (value: T) => void];
export function useStoredSetting<T extends Setting>(key: string, fallback: T, allowed?: readonly T[]): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => readStoredSetting(key, fallback, allowed));
  const set = useCallback(
    (next: T) => {
      setValue(next);
      writeStoredSetting(key, next);
    },
    [key],
  );
  return [value, set];
}
