// Mutation testing of the suite (Stryker 9 + its vitest runner; 10.x needs Node 22). One scope at a
// time: the files a scope mutates and the FAST test files that should kill its mutants (real-model
// tests would make every mutant cost seconds). Static mutants (module-level constants, evaluated
// once at import) are ignored. Not run in CI: slow. Prints one JSON line with the score per scope.
//   npx tsx bench/mutation.ts [--scopes pruning-row-wise,evaluation] [--concurrency 2]
//   npx tsx bench/mutation.ts --mutate src/pruning/row-wise/masks.ts --tests test/pruning/row-wise/masks.unit.test.ts
//   [--temp-dir .stryker-tmp-e]  (sandbox folder; default .stryker-tmp)
// Score = (killed + timeout) / (killed + timeout + survived + no coverage), Stryker's definition.

import fs from 'node:fs';
import path from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import type { LogLevel, MutantResult } from '@stryker-mutator/api/core';
import { intFlag, log, machineInfo, parseFlags, printResult } from './common';

interface Scope {
  /** Globs of source files to mutate. */
  mutate: string[];
  /** Globs of the test files run against each mutant. */
  tests: string[];
}

const scopes: Record<string, Scope> = {
  'pruning-row-wise': { mutate: ['src/pruning/row-wise/*.ts'], tests: ['test/pruning/**/*.unit.test.ts'] },
  'pruning-core': {
    mutate: ['src/pruning/*.ts', '!src/pruning/calibration.ts', '!src/pruning/method.ts'],
    tests: ['test/pruning/**/*.unit.test.ts'],
  },
  'pruning-methods': { mutate: ['src/pruning/methods/*.ts'], tests: ['test/pruning/**/*.unit.test.ts'] },
  evaluation: { mutate: ['src/evaluation/*.ts'], tests: ['test/evaluation/*.unit.test.ts'] },
  'model-importers': { mutate: ['src/model/importers/*.ts'], tests: ['test/model/**/*.test.ts'] },
};

type Tally = { killed: number; timeout: number; survived: number; noCoverage: number; other: number };

function tally(results: MutantResult[]): Tally {
  const t: Tally = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, other: 0 };
  for (const r of results) {
    if (r.status === 'Killed') t.killed++;
    else if (r.status === 'Timeout') t.timeout++;
    else if (r.status === 'Survived') t.survived++;
    else if (r.status === 'NoCoverage') t.noCoverage++;
    else t.other++;
  }
  return t;
}

function score(t: Tally): number | null {
  const valid = t.killed + t.timeout + t.survived + t.noCoverage;
  return valid ? (t.killed + t.timeout) / valid : null;
}

/** Survivors as `file:line mutator → replacement`, so a reader can judge real gap vs equivalent. */
function survivors(results: MutantResult[]): string[] {
  return results
    .filter((r) => r.status === 'Survived' || r.status === 'NoCoverage')
    .map((r) => `${r.fileName}:${r.location.start.line} ${r.status} ${r.mutatorName} → ${JSON.stringify(r.replacement ?? '').slice(0, 80)}`);
}

const flags = parseFlags();
// --mutate <globs> --tests <globs> (comma-separated) runs one ad-hoc scope instead.
if (flags.has('mutate')) scopes.custom = { mutate: flags.get('mutate')!.split(','), tests: (flags.get('tests') ?? 'test/**/*.unit.test.ts').split(',') };
const chosen = flags.has('mutate') ? ['custom'] : (flags.get('scopes') ?? Object.keys(scopes).join(',')).split(',');
const concurrency = intFlag(flags, 'concurrency', 2);
// --temp-dir <name>: Stryker's sandbox folder (default .stryker-tmp), so a targeted run can go alongside a full one.
const tempDirName = flags.get('temp-dir') ?? '.stryker-tmp';
const outDir = path.resolve('bench/out/mutation');
fs.mkdirSync(outDir, { recursive: true });
const perScope: Record<string, unknown> = {};
const started = performance.now();

for (const name of chosen) {
  const scope = scopes[name];
  if (!scope) throw new Error(`unknown scope '${name}'; known: ${Object.keys(scopes).join(', ')}`);
  log(`=== mutation scope ${name}: ${scope.mutate.join(' ')} against ${scope.tests.join(' ')}`);
  process.env.MUTATION_TESTS = scope.tests.join(',');
  const t0 = performance.now();
  const stryker = new Stryker({
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.mutation.config.ts', related: false },
    plugins: ['@stryker-mutator/vitest-runner'],
    mutate: scope.mutate,
    ignoreStatic: true,
    coverageAnalysis: 'perTest',
    concurrency,
    timeoutMS: 10_000,
    reporters: ['json', 'progress'],
    jsonReporter: { fileName: path.join(outDir, `${name}.json`) },
    tempDirName,
    cleanTempDir: true,
    logLevel: 'warn' as LogLevel,
  });
  const results = await stryker.runMutationTest();
  const t = tally(results);
  const list = survivors(results);
  fs.writeFileSync(path.join(outDir, `${name}-survivors.txt`), list.join('\n') + '\n');
  perScope[name] = { mutate: scope.mutate, tests: scope.tests, mutants: results.length, ...t, score: score(t), seconds: Math.round((performance.now() - t0) / 1000), survivorsFile: `bench/out/mutation/${name}-survivors.txt` };
  log(`=== ${name}: ${JSON.stringify(perScope[name])}`);
}

printResult('mutation', { benchmark: 'mutation', machine: machineInfo(1), stryker: '9.6.1 (vitest runner)', totalS: Math.round((performance.now() - started) / 1000), scopes: perScope });
