// `npm run bench`: decode-vs-transformers and ppl-speed on stories260K and the random SmolLM2-135M-
// shaped model, then load-memory, then the bad-input table, then the loader fuzz (10,000 cases; 2,000 with --quick); each in a
// fresh child process (a fresh wasm heap: onnxruntime-web's heap never shrinks, so one process for all
// would skew memory and risk the 4 GiB wasm limit).
// Prints one combined JSON object as the last stdout line. Node only.
//   npx tsx bench/run-all.ts [--threads 1] [--quick]   (--quick: fewer runs/windows on the 135M model)

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureModelFolders, intFlag, log, machineInfo, parseFlags, printResult } from './common';

const f = parseFlags();
const threads = String(intFlag(f, 'threads', 1));
const quick = f.has('quick');
const here = path.dirname(new URL(import.meta.url).pathname);
const started = performance.now();
const results: Record<string, unknown> = {};

function step(name: string, script: string, args: string[]): void {
  log(`=== ${name}: ${script} ${args.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...process.execArgv, path.join(here, script), ...args, '--threads', threads], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  results[name] = r.status === 0 && last.startsWith('{') ? JSON.parse(last) : { error: `exit ${r.status}: ${last.slice(0, 500)}` };
  log(`=== ${name} done in ${Math.round((performance.now() - t0) / 1000)} s`);
}

// Written once up front so no timed child pays for it.
await ensureModelFolders('smollm2-135m-random', log);
step('decode-stories260k', 'decode-vs-transformers.ts', ['--model', 'stories260k', '--runs', '5']);
step('decode-smollm2-135m-random', 'decode-vs-transformers.ts', ['--model', 'smollm2-135m-random', '--runs', quick ? '2' : '5']);
step('ppl-stories260k', 'ppl-speed.ts', ['--model', 'stories260k', '--windows', '64', '--runs', '3']);
step('ppl-smollm2-135m-random', 'ppl-speed.ts', ['--model', 'smollm2-135m-random', '--windows', quick ? '2' : '8', '--runs', '1']);
step('load-memory', 'load-memory.ts', ['--scenarios', 'lab,breakdown']);
step('bad-inputs', 'bad-inputs.ts', []);
step('fuzz', 'fuzz.ts', ['--cases', quick ? '2000' : '10000']);
step('tokenize-bounded', 'tokenize-bounded.ts', ['--sizes', quick ? '5' : '5,50', '--max-windows', '2']);

printResult('all', { benchmark: 'all', machine: machineInfo(Number(threads)), totalS: Math.round((performance.now() - started) / 1000), results });
