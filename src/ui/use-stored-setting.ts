// A panel setting that survives a reload: React state mirrored to localStorage under
// 'prunelab.setting.<key>'. A stored value of another type, or one outside `allowed`, is ignored (the
// default applies); storage that throws (blocked, full) only loses the memory of the setting.
// Texts and files the user dropped are never stored this way: only small typed settings.

import { useCallback, useState } from 'react';
import { readLocal, writeLocal } from '../store/local-storage';

type Setting = string | number | boolean;

const PREFIX = 'prunelab.setting.';

/** The stored value of `key` when it has the default's type (and is one of `allowed`, if given), else the default. */
export function readStoredSetting<T extends Setting>(key: string, fallback: T, allowed?: readonly T[], store?: Storage | null): T {
  const raw = readLocal(PREFIX + key, store);
  if (raw === null) return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return fallback;
  }
  if (typeof value !== typeof fallback) return fallback;
  if (allowed && !allowed.includes(value as T)) return fallback;
  return value as T;
}

export function writeStoredSetting(key: string, value: Setting, store?: Storage | null): void {
  writeLocal(PREFIX + key, JSON.stringify(value), store);
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
