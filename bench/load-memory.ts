// Peak memory of loading the SmolLM2-135M-shaped random model through Lab.loadModel, then of the
// first decode and nll sessions; each scenario in a fresh child process. RSS is sampled from a worker
// thread (the main thread is busy in synchronous parsing) plus VmHWM. Node/Linux only.
//   npx tsx bench/load-memory.ts [--scenarios lab,breakdown] [--threads 1]

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Lab } from '../src/lab/lab';
import { ensureModelFolders, intFlag, log, machineInfo, mib, parseFlags, printResult, round } from './common';
import { syntheticPrompt } from '../src/evaluation/benchmark';
import { buildModelGraph } from '../src/graph/build-graph';
import { loadModelFromFiles } from '../src/model/load-model';
import type { ModelSpec } from '../src/model/model-spec';
import { configureOrt, createSession, int64Tensor, ort } from '../src/runtime/ort';

const SELF = new URL(import.meta.url).pathname;

function procStatusKiB(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where not allowed. */
function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** A worker that reads VmRSS every `everyMs` into a shared max: works while the main thread blocks. */
function startRssSampler(everyMs: number) {
  const shared = new Float64Array(new SharedArrayBuffer(16));
  const code = `const { workerData } = require('node:worker_threads'); const fs = require('node:fs');
    const a = new Float64Array(workerData.sab);
    setInterval(() => { const m = /^VmRSS:\\s+(\\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      if (m) { const v = Number(m[1]) * 1024; if (v > a[0]) a[0] = v; a[1]++; } }, ${everyMs});`;
  const worker = new Worker(code, { eval: true, workerData: { sab: shared.buffer } });
  return {
    peak: () => shared[0],
    samples: () => shared[1],
    reset: () => (shared[0] = 0),
    stop: () => worker.terminate(),
  };
}

/** Main-thread samples of arrayBuffers/external (they fire only between awaits). */
function startUsageSampler(everyMs: number) {
  const max = { rss: 0, arrayBuffers: 0, external: 0, heapUsed: 0 };
  const timer = setInterval(() => {
    const u = process.memoryUsage();
    for (const k of Object.keys(max) as (keyof typeof max)[]) max[k] = Math.max(max[k], u[k]);
  }, everyMs);
  return { max, reset: () => Object.keys(max).forEach((k) => (max[k as keyof typeof max] = 0)), stop: () => clearInterval(timer) };
}

async function child(scenario: string, threads: number): Promise<Record<string, unknown>> {
  const folders = await ensureModelFolders('smollm2-135m-random');
  const files = await folders.oursFiles();
  const fileBytes = files.filter((f) => /\.(onnx|onnx_data|safetensors)$/.test(f.path)).reduce((a, f) => a + f.blob.size, 0);
  const lab = new Lab({ preferWebGpu: false, numThreads: threads, loadText: async () => '' });
  configureOrt({ numThreads: threads });
  globalThis.gc?.();
  const rssSampler = startRssSampler(5);
  const usage = startUsageSampler(5);
  await new Promise((r) => setTimeout(r, 50));
  const baselineRss = procStatusKiB('VmRSS');
  const baseline = process.memoryUsage();
  const peakReset = resetPeak();
  rssSampler.reset();
  const phases: Record<string, unknown>[] = [];
  const phase = async (name: string, job: () => Promise<unknown>) => {
    usage.reset();
    const t0 = performance.now();
    await job();
    const ms = performance.now() - t0;
    const end = process.memoryUsage();
    const hwm = procStatusKiB('VmHWM');
    const peakRss = Math.max(rssSampler.peak(), hwm);
    phases.push({
      phase: name,
      ms: round(ms, 0),
      peakRssMiB: mib(peakRss),
      peakRssOverBaselineMiB: mib(peakRss - baselineRss),
      peakOverFileSize: round((peakRss - baselineRss) / fileBytes, 2),
      endRssOverBaselineMiB: mib(end.rss - baselineRss),
      endArrayBuffersMiB: mib(end.arrayBuffers),
      endExternalMiB: mib(end.external),
      endHeapUsedMiB: mib(end.heapUsed),
      sampledMaxArrayBuffersMiB: mib(usage.max.arrayBuffers),
      sampledMaxExternalMiB: mib(usage.max.external),
    });
    log(`${scenario} ${name}: ${JSON.stringify(phases.at(-1))}`);
  };
  let summary: Awaited<ReturnType<Lab['loadModel']>> | null = null;
  const extra: Record<string, unknown> = {};
  if (scenario === 'lab') {
    await phase('Lab.loadModel', async () => (summary = await lab.loadModel(files)));
    await phase('+ first decode session (Lab.benchmark P=8, G=1)', () => lab.benchmark({ promptTokens: 8, genTokens: 1, runs: 1, warmupRuns: 0 }));
    const text = Array.from({ length: 300 }, (_, i) => `w${3 + i}`).join(' ');
    await phase('+ first nll session (Lab.evaluatePerplexity, 1 window of 256)', () =>
      lab.evaluatePerplexity({ text: { kind: 'file', name: 'words.txt', text }, seqLen: 256, maxWindows: 1 }));
  } else {
    // The same steps as Lab + Engine, one at a time, to see what each holds.
    let spec: ModelSpec | null = null;
    let graph: Uint8Array | null = null;
    let session: ort.InferenceSession | null = null;
    await phase('loadModelFromFiles (ModelSpec fp32 weights)', async () => {
      spec = (await loadModelFromFiles(files)).spec;
      extra.specWeightBytes = [...spec.weights.values()].reduce((a, w) => a + w.data.byteLength, 0);
    });
    await phase('+ buildModelGraph decoder (fold, last logits): graph bytes', async () => {
      graph = buildModelGraph(spec!, { purpose: 'decoder', lastLogitsOnly: true });
      extra.decoderGraphBytes = graph.byteLength;
    });
    await phase('+ createSession(graph) (wasm)', async () => (session = await createSession(graph!, { backend: 'wasm' })));
    await phase('+ graph bytes dropped, gc', async () => {
      graph = null;
      globalThis.gc?.();
    });
    await phase('+ one prefill run (8 tokens)', async () => {
      const ids = syntheticPrompt(8, spec!.config.vocabSize);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64Tensor(ids, [1, 8]),
        attention_mask: int64Tensor(new Array<number>(8).fill(1), [1, 8]),
        position_ids: int64Tensor(ids.map((_, t) => t), [1, 8]),
      };
      spec!.layers.forEach((l, i) => {
        for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, l.numKvHeads, 0, l.headDim]);
      });
      await session!.run(feeds);
    });
    await phase('+ session released, gc', async () => {
      await session!.release();
      session = null;
      globalThis.gc?.();
    });
  }
  rssSampler.stop();
  usage.stop();
  await lab.dispose();
  return {
    scenario,
    files: files.map((f) => f.path),
    weightFileBytes: fileBytes,
    weightFileMiB: mib(fileBytes),
    fp32WeightsMiB: summary ? mib((summary as { fp32Bytes: number }).fp32Bytes) : null,
    importCheck: summary ? (summary as { importCheck: unknown }).importCheck : null,
    baselineRssMiB: mib(baselineRss),
    baselineArrayBuffersMiB: mib(baseline.arrayBuffers),
    vmHwmResetAtBaseline: peakReset,
    rssSamples: rssSampler.samples(),
    ...extra,
    phases,
  };
}

function runChild(scenario: string, threads: number): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', SELF, '--child', scenario, '--threads', String(threads)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) return { scenario, error: `child exited ${r.status}: ${last.slice(0, 500)}` };
  return JSON.parse(last);
}

export async function runLoadMemoryBench(scenarios: string[], threads: number): Promise<Record<string, unknown>> {
  const folders = await ensureModelFolders('smollm2-135m-random', log);
  const results = scenarios.map((s) => runChild(s, threads));
  return {
    benchmark: 'load-memory',
    model: 'smollm2-135m-random',
    machine: machineInfo(threads),
    goal: 'peak RSS − baseline RSS ≤ 2 × weight file size, for loadModel',
    safetensorsBytes: folders.safetensorsBytes,
    method: 'fresh child process per scenario; VmRSS sampled every 5 ms from a worker thread + VmHWM (reset at baseline via /proc/self/clear_refs); memoryUsage() sampled on the main thread (only between awaits)',
    scenarios: results,
    onnxLayout:
      'not measured: no Optimum-named ONNX of this model exists, and the ONNX our builder writes (bench/out/smollm2-135m-random-onnx) is not importable by our ONNX importer: "onnx/model.onnx: no MatMul or MatMulNBits with a weight initializer under /model/layers.0/self_attn/q_proj (found: no nodes)" (our node names are not Optimum names)',
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(SELF)) {
  const f = parseFlags();
  const threads = intFlag(f, 'threads', 1);
  if (f.has('child')) {
    console.log(JSON.stringify(await child(f.get('child')!, threads)));
  } else {
    const scenarios = (f.get('scenarios') ?? 'lab,breakdown').split(',');
    printResult('load-memory', await runLoadMemoryBench(scenarios, threads));
  }
}
