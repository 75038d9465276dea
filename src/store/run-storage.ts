// Where finished runs are kept between visits: a small async interface, an in-memory implementation
// (tests, no IndexedDB) and IndexedDB (database 'prunelab', object store 'runs', keyPath 'id').
// Must not import React, the worker or the engine.
//
// Versions: every stored record carries `schemaVersion` (RUNS_SCHEMA_VERSION; records written before it
// existed are version 1). On load each record is checked (`checkStoredRun`): an older one is migrated and
// written back, one from a newer build is hidden and left stored untouched, one that does not read as a run
// (runs-import's field checks) is discarded; `load()` reports how many of each, for the Runs panel's notice.
// Writes: each put / delete / clear is one readwrite transaction awaited to `complete` (durability
// 'strict' where the browser has it; lab/indexed-db.ts), so a run the table shows as saved survives a tab crash.

import type { RunRecord } from './run-record';
import { indexedDbKeyedStore, memoryKeyedStore, type KeyedStore } from '../lab/keyed-store';
import { runRecordFromJson } from './runs-import';

/** The version of the stored record format this build writes. v1: no `schemaVersion`; v2: tagged, `fp32BytesAfter` always present. */
export const RUNS_SCHEMA_VERSION = 2;

/** A stored record that could not be read as a run (discarded). */
export interface StoredRunProblem {
  /** The record's id, when it has a string one. */
  id: string | null;
  message: string;
  /** The first field that failed its check. */
  field?: string;
}

export interface StoredRuns {
  /** Readable runs at the current version, oldest first. */
  runs: RunRecord[];
  /** Of those, how many were stored at an older version (migrated and written back). */
  migrated: number;
  /** Records written by a newer build of Prunelab: not shown, left stored untouched. */
  newer: number;
  /** Records that could not be read: not shown, deleted from storage. */
  discarded: StoredRunProblem[];
}

export interface RunStorage {
  /** Every stored run, checked: older versions migrated (and rewritten), newer ones hidden, unreadable ones discarded. */
  load(): Promise<StoredRuns>;
  /** `load().runs`: every readable stored run, oldest first. */
  loadAll(): Promise<RunRecord[]>;
  /** Stores one run; resolves once the write is committed. */
  put(run: RunRecord): Promise<void>;
  /** Stores several runs in one transaction (all or none). */
  putAll(runs: readonly RunRecord[]): Promise<void>;
  delete(id: string): Promise<void>;
  /** Deletes every run this build can read, in one transaction; runs of a newer build stay. */
  clear(): Promise<void>;
}

export type StoredRunCheck =
  | { kind: 'current'; run: RunRecord }
  | { kind: 'migrated'; run: RunRecord; from: number }
  | { kind: 'newer'; version: number }
  | { kind: 'invalid'; problem: StoredRunProblem };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Migration from version n to n + 1, by n. Add one here (and raise RUNS_SCHEMA_VERSION) when the stored form changes. */
const migrations: Record<number, (record: Record<string, unknown>) => Record<string, unknown>> = {
  // v1 → v2: the size of the fp32 weights is kept on the record (the views derived it the same way).
  1: (record) => (record.fp32BytesAfter === undefined && typeof record.parametersAfter === 'number' ? { ...record, fp32BytesAfter: record.parametersAfter * 4 } : record),
};

/** Fields kept on stored runs that runs-import does not check (it drops them from imported files). */
const storedOnly: [name: string, check: (v: unknown) => boolean, what: string][] = [
  ['planId', (v) => v === null || typeof v === 'string', 'a string or null'],
  ['planNote', (v) => v === null || typeof v === 'string', 'a string or null'],
  ['request', (v) => isObject(v) && typeof v.methodId === 'string', 'a prune request'],
];

function problem(value: unknown, message: string, field?: string): StoredRunCheck {
  const id = isObject(value) && typeof value.id === 'string' ? value.id : null;
  return { kind: 'invalid', problem: { id, message, ...(field ? { field } : {}) } };
}

/**
 * One stored record → a run at the current version (migrated if older), 'newer' (from a later build: leave it
 * alone) or 'invalid' (naming the field). Pure. Fields this build does not know are kept as they are.
 */
export function checkStoredRun(value: unknown): StoredRunCheck {
  if (!isObject(value)) return problem(value, 'not a run (expected an object)');
  const { schemaVersion = 1, ...rest } = value;
  if (!Number.isInteger(schemaVersion) || (schemaVersion as number) < 1) return problem(value, `schemaVersion must be a whole number ≥ 1, got ${JSON.stringify(schemaVersion)}`, 'schemaVersion');
  const version = schemaVersion as number;
  if (version > RUNS_SCHEMA_VERSION) return { kind: 'newer', version };
  let record: Record<string, unknown> = rest;
  for (let v = version; v < RUNS_SCHEMA_VERSION; v++) record = migrations[v](record);
  const where = `stored run ${typeof record.id === 'string' ? record.id : '(no id)'}`;
  let checked: RunRecord;
  try {
    checked = runRecordFromJson(record, where);
  } catch (error) {
    const details = (error as { details?: { field?: string } }).details;
    return problem(value, error instanceof Error ? error.message : String(error), details?.field);
  }
  for (const [name, check, what] of storedOnly) {
    if (record[name] !== undefined && !check(record[name])) return problem(value, `${where}: ${name} must be ${what}`, name);
  }
  const run = { ...structuredClone(record), ...checked } as RunRecord;
  return version === RUNS_SCHEMA_VERSION ? { kind: 'current', run } : { kind: 'migrated', run, from: version };
}

/** The form a run is stored in: the record tagged with the current version. */
export function storedFormOf(run: RunRecord): RunRecord & { schemaVersion: number } {
  return { ...run, schemaVersion: RUNS_SCHEMA_VERSION };
}

/** The Runs panel's notice about stored runs not shown (null when every stored run was read). */
export function storedRunsNotice(report: Pick<StoredRuns, 'newer' | 'discarded'>): string | null {
  const parts: string[] = [];
  const runs = (n: number) => `${n} stored run${n === 1 ? '' : 's'}`;
  if (report.newer > 0) {
    parts.push(`${runs(report.newer)} ${report.newer === 1 ? 'was' : 'were'} saved by a newer version of Prunelab and ${report.newer === 1 ? 'is' : 'are'} hidden (kept in this browser; a newer version shows ${report.newer === 1 ? 'it' : 'them'}).`);
  }
  const bad = report.discarded;
  if (bad.length > 0) {
    const fields = [...new Set(bad.map((p) => p.field).filter((f): f is string => typeof f === 'string'))];
    const why = fields.length > 0 ? ` (${fields.length === 1 ? 'field' : 'fields'} ${fields.slice(0, 5).join(', ')})` : '';
    parts.push(`${runs(bad.length)} could not be read and ${bad.length === 1 ? 'was' : 'were'} discarded${why}.`);
  }
  return parts.length > 0 ? parts.join(' ') : null;
}

const byFinish = (a: RunRecord, b: RunRecord) => a.finishedAtMs - b.finishedAtMs;

/**
 * Counts one stored record into `report` (its run, when readable) and says what the storage must do with it:
 * rewrite a migrated one in the current form, delete an unreadable one, leave the rest.
 */
function tally(report: StoredRuns, value: unknown): 'keep' | 'delete' | { rewrite: RunRecord } {
  const check = checkStoredRun(value);
  if (check.kind === 'newer') {
    report.newer += 1;
    return 'keep';
  }
  if (check.kind === 'invalid') {
    report.discarded.push(check.problem);
    return 'delete';
  }
  report.runs.push(check.run);
  if (check.kind === 'current') return 'keep';
  report.migrated += 1;
  return { rewrite: storedFormOf(check.run) };
}

const emptyReport = (): StoredRuns => ({ runs: [], migrated: 0, newer: 0, discarded: [] });
const isNewer = (value: unknown) => isObject(value) && typeof value.schemaVersion === 'number' && value.schemaVersion > RUNS_SCHEMA_VERSION;

/** Runs kept in `store`: loads check (and migrate, or discard) what is stored; writes store the tagged form. */
export function keyedRunStorage(store: KeyedStore): RunStorage {
  const storage: RunStorage = {
    async load() {
      // One pass (one readwrite transaction in IndexedDB): read every record, rewrite the migrated ones, delete the unreadable ones.
      const report = emptyReport();
      await store.scan((value) => tally(report, value));
      report.runs.sort(byFinish);
      return report;
    },
    async loadAll() {
      return (await storage.load()).runs;
    },
    async put(run) {
      await store.putAll([storedFormOf(run)]);
    },
    async putAll(runs) {
      await store.putAll(runs.map(storedFormOf));
    },
    async delete(id) {
      await store.delete(id);
    },
    async clear() {
      await store.scan((value) => (isNewer(value) ? 'keep' : 'delete'));
    },
  };
  return storage;
}

/** Records in memory (a structured clone on the way in and out, as IndexedDB would); `initial` as found in storage (any version, or not runs at all). */
export function memoryRunStorage(initial: readonly unknown[] = []): RunStorage {
  return keyedRunStorage(memoryKeyedStore(initial));
}

export const runsDatabaseName = 'prunelab';
export const runsStoreName = 'runs';

export function indexedDbRunStorage(factory: IDBFactory): RunStorage {
  return keyedRunStorage(indexedDbKeyedStore(factory, runsDatabaseName, runsStoreName));
}

/** IndexedDB where the environment has it (the browser), else memory (Node tests, private modes without it). */
export function defaultRunStorage(): RunStorage {
  return typeof indexedDB !== 'undefined' ? indexedDbRunStorage(indexedDB) : memoryRunStorage();
}
