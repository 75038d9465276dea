// Panel settings kept across reloads (ui/use-stored-setting): a value written is read back with its type;
// a stored value of the wrong type or outside the allowed choices falls back to the default; storage
// that throws loses only the memory of the setting.

import { describe, expect, it } from 'vitest';
import { readStoredSetting, writeStoredSetting } from '../../src/ui/use-stored-setting';

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

describe('stored settings', () => {
  it('reads back what was written, typed', () => {
    const store = memoryStorage();
    writeStoredSetting('speed.runs', '9', store);
    writeStoredSetting('runsChart.logScale', true, store);
    expect(readStoredSetting('speed.runs', '5', undefined, store)).toBe('9');
    expect(readStoredSetting('runsChart.logScale', false, undefined, store)).toBe(true);
    expect(store.getItem('prunelab.setting.speed.runs')).toBe('"9"');
  });

  it('falls back to the default on a missing key, another type, an unknown choice or bad JSON', () => {
    const store = memoryStorage();
    expect(readStoredSetting('x', 'd', undefined, store)).toBe('d');
    store.setItem('prunelab.setting.flag', '"yes"');
    expect(readStoredSetting('flag', false, undefined, store)).toBe(false);
    store.setItem('prunelab.setting.format', '"gguf"');
    expect(readStoredSetting('format', 'safetensors', ['safetensors', 'both'], store)).toBe('safetensors');
    store.setItem('prunelab.setting.broken', '{');
    expect(readStoredSetting('broken', 'd', undefined, store)).toBe('d');
  });

  it('survives storage that throws', () => {
    const throwing = { ...memoryStorage(), getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('full'); } } as Storage;
    expect(() => writeStoredSetting('a', 'b', throwing)).not.toThrow();
    expect(readStoredSetting('a', 'default', undefined, throwing)).toBe('default');
  });
});
