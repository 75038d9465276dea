// Bad-input table bench (issue 14): every row of e2e/bad-inputs.ts (generated from the real stories260K
// files) through Lab.loadModel in Node, as the UI would, counted by outcome: how many rows ran, how many
// ended as the table expects (code and message), and each row's outcome. Node only.
//   npx tsx bench/bad-inputs.ts

import { badInputs } from '../e2e/bad-inputs';
import { Lab } from '../src/lab/lab';
import { toLabErrorData } from '../src/errors';
import { machineInfo, printResult } from './common';

const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });
const rows: { id: string; group: string; expected: string; outcome: string; asExpected: boolean; ms: number }[] = [];
const started = performance.now();
for (const row of badInputs.filter((r) => r.kind === 'model')) {
  const files = (await row.makeFiles()).map((f) => ({ path: f.path, blob: new Blob([f.bytes as BlobPart]) }));
  const t0 = performance.now();
  const outcome = await lab.loadModel(files).then(
    () => ({ code: 'loads', message: '' }),
    (e: unknown) => toLabErrorData(e),
  );
  const asExpected = outcome.code === row.expectedCode && (row.expectedCode === 'loads' || row.messagePattern.test(outcome.message));
  rows.push({ id: row.id, group: row.group, expected: row.expectedCode, outcome: outcome.code, asExpected, ms: Math.round(performance.now() - t0) });
}
await lab.dispose();
const byOutcome: Record<string, number> = {};
for (const r of rows) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
printResult('bad-inputs', {
  machine: machineInfo(1),
  rows: rows.length,
  textRows: badInputs.length - rows.length,
  asExpected: rows.filter((r) => r.asExpected).length,
  byOutcome,
  crashes: rows.filter((r) => r.outcome === 'internal').map((r) => r.id),
  totalSec: Number(((performance.now() - started) / 1000).toFixed(1)),
  perRow: rows,
});
