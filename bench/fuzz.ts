// Fuzz bench (issue 14): ≥ 10,000 seeded cases of test/helpers/fuzz.ts (mutated ONNX graphs,
// safetensors, config.json and tokenizer.json of stories260K, each through the whole loader), counted
// by target and outcome. Cases run in child processes (one per worker), one seed per message, so a
// case that hangs synchronously (past --timeout-ms plus a grace period) or kills its process (a native
// abort, out of memory) is recorded as 'timeout' / 'crash' with its seed, and the next case runs in a
// fresh child. Node only.
//   npx tsx bench/fuzz.ts [--cases 10000] [--seed 0] [--workers 2] [--timeout-ms 10000]
//   (FUZZ_SELFTEST='hang:5,abort:9' checks the watchdog: seed 5 spins forever, seed 9 aborts.)

import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzResult } from '../test/helpers/fuzz';

type ChildMessage = { result: FuzzResult } | { unhandled: string };

if (process.argv.includes('--child')) {
  // A worker: runs the seeds its parent sends, one at a time.
  const { runFuzzCase } = await import('../test/helpers/fuzz');
  console.warn = () => {}; // the tokenizer package warns on some damaged files; outcomes are what count
  const timeoutMs = Number(process.env.FUZZ_TIMEOUT_MS ?? 10_000);
  process.on('unhandledRejection', (reason) => process.send!({ unhandled: String((reason as Error)?.stack ?? reason).slice(0, 1000) } satisfies ChildMessage));
  // Self-test of the watchdog: FUZZ_SELFTEST='hang:5,abort:9' makes seed 5 spin and seed 9 abort natively.
  const selftest = new Map((process.env.FUZZ_SELFTEST ?? '').split(',').filter(Boolean).map((x) => [Number(x.split(':')[1]), x.split(':')[0]]));
  process.on('message', (m: { seed: number }) => {
    if (selftest.get(m.seed) === 'hang') for (;;);
    if (selftest.get(m.seed) === 'abort') process.abort();
    void runFuzzCase(m.seed, timeoutMs).then((result) => process.send!({ result } satisfies ChildMessage));
  });
} else if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { intFlag, parseFlags, printResult } = await import('./common');
  const f = parseFlags();
  printResult(
    'fuzz',
    await runFuzz({ cases: intFlag(f, 'cases', 10_000), seed: intFlag(f, 'seed', 0), workers: intFlag(f, 'workers', Math.min(2, os.cpus().length)), timeoutMs: intFlag(f, 'timeout-ms', 10_000) }),
  );
}

export interface FuzzOptions {
  cases: number;
  /** First seed; the cases are seeds seed..seed+cases-1. */
  seed: number;
  /** Child processes running cases side by side. */
  workers: number;
  /** Bound of one case inside its child (Promise.race); a child silent for 2× this + 5 s is killed. */
  timeoutMs: number;
}

export async function runFuzz(options: FuzzOptions): Promise<Record<string, unknown>> {
  const { log, machineInfo } = await import('./common');
  const { countOutcomes, FUZZ_TARGETS, fuzzCaseFiles } = await import('../test/helpers/fuzz');
  /** What a case does to its file, recomputed here for cases whose child died. */
  const mutationOf = (seed: number, why: string) => {
    try {
      return `${fuzzCaseFiles(seed).what} ${why}`;
    } catch {
      return why;
    }
  };
  const targetOf = (seed: number) => FUZZ_TARGETS[seed % FUZZ_TARGETS.length];
  const { cases, seed: base, timeoutMs } = options;
  const workers = Math.max(1, options.workers);
  /** A child that has not answered by then is stuck in synchronous code: killed, the case is a timeout. */
  const hardMs = timeoutMs * 2 + 5_000;
  const self = fileURLToPath(import.meta.url);
  const started = performance.now();
  const results: FuzzResult[] = [];
  const unhandled: string[] = [];
  const restarts: string[] = [];
  let next = base;
  const end = base + cases;
  let lastLog = 0;

  const runWorker = () =>
    new Promise<void>((resolveWorker) => {
      let child: ChildProcess | null = null;
      let inFlight: { seed: number; timer: ReturnType<typeof setTimeout> } | null = null;
      let stderrTail = '';
      const spawn = () => {
        stderrTail = '';
        child = fork(self, ['--child'], { env: { ...process.env, FUZZ_TIMEOUT_MS: String(timeoutMs) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        child.stderr!.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-2000)));
        child.on('message', (m: ChildMessage) => {
          if ('unhandled' in m) return void unhandled.push(m.unhandled);
          if (!inFlight || m.result.seed !== inFlight.seed) return;
          clearTimeout(inFlight.timer);
          inFlight = null;
          results.push(m.result);
          dispatch();
        });
        child.on('exit', (code, signal) => {
          if (!inFlight) return;
          // The process died under a case: a native abort or out of memory is a crash of that case.
          const { seed } = inFlight;
          clearTimeout(inFlight.timer);
          inFlight = null;
          results.push({ seed, target: targetOf(seed), mutation: mutationOf(seed, '(child process died)'), outcome: 'crash', ms: 0, message: `child exited (code ${code}, signal ${signal}): ${stderrTail.slice(-600)}` });
          restarts.push(`seed ${seed}: exit ${code ?? signal}`);
          spawn();
          dispatch();
        });
      };
      const dispatch = () => {
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          log(`${results.length}/${cases} cases, ${Math.round((performance.now() - started) / 1000)} s`);
        }
        if (next >= end) {
          child?.removeAllListeners('exit');
          child?.kill();
          return resolveWorker();
        }
        const seed = next++;
        const timer = setTimeout(() => {
          // Stuck past the bound: kill it (the exit handler must not count it twice), record, go on.
          inFlight = null;
          child!.removeAllListeners('exit');
          child!.kill('SIGKILL');
          results.push({ seed, target: targetOf(seed), mutation: mutationOf(seed, '(child killed)'), outcome: 'timeout', ms: hardMs, message: `no answer within ${hardMs} ms (synchronous hang); child killed` });
          restarts.push(`seed ${seed}: killed after ${hardMs} ms`);
          spawn();
          dispatch();
        }, hardMs);
        inFlight = { seed, timer };
        child!.send({ seed });
      };
      spawn();
      dispatch();
    });

  log(`fuzz: ${cases} cases (seeds ${base}..${end - 1}) on ${workers} child processes, ${timeoutMs} ms per case`);
  await Promise.all(Array.from({ length: workers }, runWorker));
  results.sort((a, b) => a.seed - b.seed);

  const byOutcome: Record<string, number> = {};
  for (const r of results) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
  const brief = (r: FuzzResult) => ({ seed: r.seed, target: r.target, mutation: r.mutation.slice(0, 300), message: r.message.slice(0, 500), ...(r.stack ? { stack: r.stack } : {}) });
  const crashes = results.filter((r) => r.outcome === 'crash');
  const timeouts = results.filter((r) => r.outcome === 'timeout');
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const totalSec = Math.round((performance.now() - started) / 100) / 10;
  return {
    benchmark: 'fuzz',
    machine: machineInfo(1),
    cases: results.length,
    seeds: [base, end - 1],
    workers,
    timeoutMs,
    byTarget: countOutcomes(results),
    byOutcome,
    loadsWithNonFiniteWeights: results.filter((r) => r.nonFinite).length,
    crashes: { count: crashes.length, first: crashes.slice(0, 10).map(brief) },
    timeouts: { count: timeouts.length, first: timeouts.slice(0, 10).map(brief) },
    unhandledRejections: { count: unhandled.length, first: unhandled.slice(0, 5) },
    childRestarts: restarts,
    msPerCase: { median: ms[Math.floor(ms.length / 2)] ?? 0, p99: ms[Math.floor(ms.length * 0.99)] ?? 0, max: ms.at(-1) ?? 0 },
    slowest: [...results].sort((a, b) => b.ms - a.ms).slice(0, 5).map((r) => ({ seed: r.seed, ms: r.ms, target: r.target, outcome: r.outcome, mutation: r.mutation.slice(0, 160) })),
    casesPerSec: Math.round((results.length / totalSec) * 10) / 10,
    totalSec,
  };
}
