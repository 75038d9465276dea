// Where saved GPU benchmarks are kept between visits: memory (tests, Node) or IndexedDB (database
// 'prunelab-benchmarks', object store 'benchmarks', keyPath 'id'; a database of its own, so the runs' database
// 'prunelab' is never upgraded for it). Records carry `schemaVersion` (SPEED_SCHEMA_VERSION): on load a newer
// build's record is hidden and left stored, an unreadable one is deleted and counted. Every write is one readwrite
// transaction awaited to `complete` (lab/indexed-db.ts). Must not import React, the worker or the engine.

import { indexedDbKeyedStore, memoryKeyedStore, type KeyedStore } from '../lab/keyed-store';
import { SPEED_SCHEMA_VERSION, speedRecordFromJson, type SpeedRecord } from './speed-record';

export interface StoredSpeedRecords {
  /** Readable records, oldest first. */
  records: SpeedRecord[];
  /** Saved by a newer build: hidden, kept. */
  newer: number;
  /** Unreadable: deleted, with why. */
  discarded: { id: string | null; message: string; field?: string }[];
}

export interface SpeedStorage {
  load(): Promise<StoredSpeedRecords>;
  put(record: SpeedRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Deletes every record this build reads (a newer build's stay). */
  clear(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const versionOf = (value: unknown) => (isObject(value) && value.schemaVersion !== undefined ? value.schemaVersion : 1);
const isNewer = (value: unknown) => {
  const v = versionOf(value);
  return typeof v === 'number' && v > SPEED_SCHEMA_VERSION;
};

export type StoredSpeedCheck = { kind: 'current'; record: SpeedRecord } | { kind: 'newer' } | { kind: 'invalid'; problem: StoredSpeedRecords['discarded'][number] };

/** One stored value → a record of this version, 'newer' (leave it alone) or 'invalid' (naming the field). Pure. */
export function checkStoredSpeedRecord(value: unknown): StoredSpeedCheck {
  const id = isObject(value) && typeof value.id === 'string' ? value.id : null;
  const version = versionOf(value);
  if (!Number.isInteger(version) || (version as number) < 1) return { kind: 'invalid', problem: { id, message: `schemaVersion must be a whole number ≥ 1, got ${JSON.stringify(version)}`, field: 'schemaVersion' } };
  if (isNewer(value)) return { kind: 'newer' };
  try {
    return { kind: 'current', record: speedRecordFromJson(value, `saved measurement ${id ?? '(no id)'}`) };
  } catch (error) {
    const field = (error as { details?: { field?: string } }).details?.field;
    return { kind: 'invalid', problem: { id, message: error instanceof Error ? error.message : String(error), ...(field ? { field } : {}) } };
  }
}

/** The stored form: the record tagged with this build's version. */
export function storedSpeedFormOf(record: SpeedRecord): SpeedRecord & { schemaVersion: number } {
  return { ...record, schemaVersion: SPEED_SCHEMA_VERSION };
}

/** Counts one stored value into `report`; true when it must be deleted (unreadable). */
function tally(report: StoredSpeedRecords, value: unknown): boolean {
  const check = checkStoredSpeedRecord(value);
  if (check.kind === 'newer') report.newer += 1;
  else if (check.kind === 'invalid') report.discarded.push(check.problem);
  else report.records.push(check.record);
  return check.kind === 'invalid';
}

const emptyReport = (): StoredSpeedRecords => ({ records: [], newer: 0, discarded: [] });
const bySaved = (a: SpeedRecord, b: SpeedRecord) => a.savedAtMs - b.savedAtMs;

/** The Speed panel's notice about saved measurements not shown (null: every one was read). */
export function storedSpeedNotice(report: Pick<StoredSpeedRecords, 'newer' | 'discarded'>): string | null {
  const n = (k: number) => `${k} saved measurement${k === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (report.newer > 0) parts.push(`${n(report.newer)} ${report.newer === 1 ? 'was' : 'were'} saved by a newer version of Prunelab and ${report.newer === 1 ? 'is' : 'are'} hidden.`);
  if (report.discarded.length > 0) parts.push(`${n(report.discarded.length)} could not be read and ${report.discarded.length === 1 ? 'was' : 'were'} discarded.`);
  return parts.length > 0 ? parts.join(' ') : null;
}

/** Saved measurements kept in `store`: loads check (or discard) what is stored; writes store the tagged form. */
export function keyedSpeedStorage(store: KeyedStore): SpeedStorage {
  return {
    async load() {
      const report = emptyReport();
      await store.scan((value) => (tally(report, value) ? 'delete' : 'keep'));
      report.records.sort(bySaved);
      return report;
    },
    async put(record) {
      await store.putAll([storedSpeedFormOf(record)]);
    },
    async delete(id) {
      await store.delete(id);
    },
    async clear() {
      await store.scan((value) => (isNewer(value) ? 'keep' : 'delete'));
    },
  };
}

/** Records in memory (structured-cloned as IndexedDB would); `initial` as found in storage (any form). */
export function memorySpeedStorage(initial: readonly unknown[] = []): SpeedStorage {
  return keyedSpeedStorage(memoryKeyedStore(initial));
}

export const speedDatabaseName = 'prunelab-benchmarks';
export const speedStoreName = 'benchmarks';

export function indexedDbSpeedStorage(factory: IDBFactory): SpeedStorage {
  return keyedSpeedStorage(indexedDbKeyedStore(factory, speedDatabaseName, speedStoreName));
}

/** IndexedDB in a browser, else memory. */
export function defaultSpeedStorage(): SpeedStorage {
  return typeof indexedDB !== 'undefined' ? indexedDbSpeedStorage(indexedDB) : memorySpeedStorage();
}
