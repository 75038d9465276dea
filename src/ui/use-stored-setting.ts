// A panel setting that survives a reload: React state mirrored to localStorage under
// 'prunelab.setting.<key>'. Versions: version 1 (SETTINGS_VERSION, what this build writes) is the bare JSON
// value; a later version must store `{"v": n, "value": …}`, which this build reads only for n = 1. A value that
// does not parse, has another type, is outside `allowed` or carries another version (a newer build's) is
// ignored: the default applies, and the stored value stays until the setting is changed here. localStorage
// writes are synchronous and whole: a tab crash keeps the last value set. Storage that throws (blocked,
// full) only loses the memory of the setting.
// Texts and files the user dropped are never stored this way: only small typed settings.

import { useCallback, useState } from 'react';
import { readLocal, writeLocal } from '../store/local-storage';

type Setting = string | number | boolean;

const PREFIX = 'prunelab.setting.';
/** The stored form's version. To change a setting's meaning: raise it, write `{v, value}`, and read (migrate) the bare v1 form here. */
export const SETTINGS_VERSION = 1;

/** The setting inside a stored string, or undefined when it is not one this build reads. */
function storedValue(raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return parsed; // version 1: the bare value
  if (Array.isArray(parsed)) return undefined;
  const wrapped = parsed as { v?: unknown; value?: unknown };
  return wrapped.v === SETTINGS_VERSION ? wrapped.value : undefined;
}

/** The stored value of `key` when it has the default's type (and is one of `allowed`, if given), else the default. */
export function readStoredSetting<T extends Setting>(key: string, fallback: T, allowed?: readonly T[], store?: Storage | null): T {
  const raw = readLocal(PREFIX + key, store);
  if (raw === null) return fallback;
  const value = storedValue(raw);
  if (typeof value !== typeof fallback) return fallback;
  if (allowed && !allowed.includes(value as T)) return fallback;
  return value as T;
}

export function writeStoredSetting(key: string, value: Setting, store?: Storage | null): void {
  writeLocal(PREFIX + key, JSON.stringify(value), store); // version 1: the bare value
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
