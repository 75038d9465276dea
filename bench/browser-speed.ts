// `npm run bench:browser` (issue 15): the lab's engine in a real Chrome/Chromium on whatever adapter the
// machine has, per model shape and per variant (dense; 20% / 40% of blocks removed; 25% of hidden channels
// removed; 50% Wanda), each variant in a fresh page: load the folder through the lab's folder input, prune
// (not timed), then time the dense and the pruned model in that page (warm-up runs excluded; median, min,
// max over --runs): prefill at each --prompt length, decode of --gen new tokens after a short and a long
// context, time to first token (the prefill of the shortest prompt), and the peak bytes of GPU buffers.
// Writes JSON with the adapter, the browser version, the speed-ups against the dense model beside the
// ideal N/(N−k) for removed blocks, and each decode figure's share of its physical bound: the adapter's read
// bandwidth (runtime/bandwidth-probe, measured in the page) ÷ the bytes a decode step reads (weights + KV cache).
// --peer transformers.js (default): the dense row also gets transformers.js on the lab's own export of the same
// folder, in a fresh context of the same browser (bench/browser-speed-peer.ts), ours ÷ theirs and greedy agreement.
//   npm run bench:browser -- [--presets stories260k,smollm2-135m] [--variants dense,blocks-20,blocks-40,channels-25,wanda-50]
//       [--dtype f16|f32] [--precision auto|fp32|fp16] [--prompt 128,512] [--gen 128] [--long-context 1024] [--runs 5] [--warmup 1]
//       [--gpu] [--headed] [--chromium /usr/bin/chromium] [--port 4392] [--dist /tmp/dist-browser-speed] [--no-build]
//       [--peer transformers.js|none] [--peer-port 4393] [--peer-dist /tmp/dist-transformers-page] [--sweep-up-to 4096] [--sweep-gen 16]
// Each dense and pruned figure also gets decode ms/token against context (Lab.benchmarkGpu's sweep, up to
// --sweep-up-to tokens or the model's limit; 0: none) and the sweep's largest jump between neighbouring points.
// --gpu adds Chromium's Vulkan switches for Linux GPU servers (run under Xvfb with --headed where headless has
// no GPU). Without a GPU, Chromium's WebGPU is SwiftShader, a CPU renderer: its timings say nothing about GPUs.

import path from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../e2e/chromium-args';
import { build, startPreview, stopPreview } from './browser-serve';
import { measurePeer, peerFields, planPeer, startPeer, type PeerId, type PeerSession } from './browser-speed-peer';
import { log, machineInfo, parseFlags, printResult, round } from './common';
import { presetFolderRow, weightDtypes, type WeightDtype } from './random-model';
import { KV_CACHE_ELEMENT_BYTES } from '../src/evaluation/decode-bound';
import { decodeBound, largestJump, parseVariants, speedups, variantPlan, type SpeedFigures, type VariantId } from './speed-plan';

const GPU_ARGS = ['--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan', '--use-angle=vulkan', '--use-vulkan', '--ignore-gpu-blocklist', '--enable-gpu-rasterization'];
const SOFTWARE_NOTE = "This adapter is software (SwiftShader or another CPU renderer): the timings say nothing about GPU speed, only that the harness works.";

interface Options {
  presets: string[];
  variants: VariantId[];
  dtype: WeightDtype;
  precision: 'auto' | 'fp32' | 'fp16';
  promptTokens: number[];
  genTokens: number;
  longContext: number;
  runs: number;
  warmupRuns: number;
  gpu: boolean;
  headed: boolean;
  chromiumPath: string;
  port: number;
  dist: string;
  build: boolean;
  timeoutS: number;
  peer: PeerId;
  peerPort: number;
  peerDist: string;
  /** Decode-against-context sweep up to this many tokens (0: none), timing sweepGen steps per point. */
  sweepUpTo: number;
  sweepGen: number;
}

/** The model folder of a preset: stories260K as bundled, or a random-weight folder with a real release's shape. */
function folderOf(preset: string, dtype: WeightDtype): { dir: string; error?: string } {
  if (preset === 'stories260k') return { dir: path.resolve('public/models/stories260K') };
  const { dir, row } = presetFolderRow(preset, dtype, log);
  return { dir, error: row.error as string | undefined };
}

type BenchApi = {
  backendInfo(): Promise<Record<string, unknown>>;
  setPrecision(p: string): Promise<unknown>;
  modelSummary(): Promise<{
    numLayers: number;
    parameters: number;
    maxPositionEmbeddings: number;
    name: string;
    layers: { numKvHeads: number; headDim: number }[];
    memory: { weightsBytes: number; precision: 'fp32' | 'fp16' };
  } | null>;
  prune(request: unknown): Promise<{ layersAfter: number; parametersAfter: number }>;
  benchmark(request: unknown): Promise<{ prefillMs: Record<string, number>; prefillTokensPerS: Record<string, number>; decodeMsPerToken: Record<string, number>; decodeTokensPerS: Record<string, number> }>;
  benchmarkGpu(request: unknown): Promise<{ sweep: { contextTokens: number; msPerToken: { median: number; min: number; max: number }; tokensPerS: { median: number }; bound: { fractionOfBound: number } | null }[] }>;
};

/**
 * Decode ms/token against context (the lab's "Benchmark this model on my GPU" sweep, Lab.benchmarkGpu) up to
 * --sweep-up-to tokens (at most the model's limit), with the largest jump between neighbouring points: a cache
 * that allocates in steps shows one.
 */
async function contextSweep(page: Page, o: Options, which: 'loaded' | 'pruned'): Promise<Record<string, unknown> | null> {
  if (o.sweepUpTo <= 0) return null;
  const r = await callApi(page, 'benchmarkGpu', { which, promptTokens: Math.min(...o.promptTokens), genTokens: o.sweepGen, runs: o.runs, warmupRuns: o.warmupRuns, upToTokens: o.sweepUpTo });
  const points = r.sweep.map((p) => ({ contextTokens: p.contextTokens, msPerToken: p.msPerToken, tokensPerS: round(p.tokensPerS.median, 2), fractionOfBound: p.bound ? round(p.bound.fractionOfBound, 4) : null }));
  return { genTokens: o.sweepGen, points, largestJump: largestJump(points.map((p) => p.msPerToken.median)) };
}

/** Calls the page's LabClient (window.prunelabBench, set by ?bench): `method(...args)`, structured-cloned back. */
function callApi<M extends keyof BenchApi>(page: Page, method: M, ...args: Parameters<BenchApi[M]>): ReturnType<BenchApi[M]> {
  return page.evaluate(
    ({ method: m, args: a }) => (window as unknown as { prunelabBench: Record<string, (...x: unknown[]) => Promise<unknown>> }).prunelabBench[m](...a),
    { method: method as string, args: args as unknown[] },
  ) as ReturnType<BenchApi[M]>;
}

type GpuHookResults = { bufferStats: { peakBytes: number; liveBytes: number }; resetPeak: void; readBandwidth: { gbPerS: { median: number; min: number; max: number } } };

/** The lab worker's GPU hooks (runtime/gpu-device, exposed by lab.worker.ts); null without a worker or WebGPU. */
async function workerGpu<K extends keyof GpuHookResults>(page: Page, call: K): Promise<GpuHookResults[K] | null> {
  const worker = page.workers().find((w) => w.url().includes('lab.worker'));
  if (!worker) return null;
  return (await worker
    .evaluate((name) => (self as unknown as { prunelabGpu: Record<string, () => unknown> }).prunelabGpu[name](), call)
    .catch(() => null)) as GpuHookResults[K] | null;
}


/** Prefill per prompt length and decode after a short and a long context, of the loaded (dense) or pruned model. */
async function measure(page: Page, o: Options, which: 'loaded' | 'pruned', context: number): Promise<SpeedFigures & { peakGpuBytes: number | null }> {
  await workerGpu(page, 'resetPeak');
  const figures: SpeedFigures = { prefill: [], decode: [] };
  const bench = (promptTokens: number, genTokens: number) =>
    callApi(page, 'benchmark', { promptTokens, genTokens, runs: o.runs, warmupRuns: o.warmupRuns, which });
  for (const promptTokens of o.promptTokens.filter((p) => p + 1 <= context)) {
    const r = await bench(promptTokens, 1);
    figures.prefill.push({ promptTokens, ms: r.prefillMs as never, tokensPerS: r.prefillTokensPerS as never });
  }
  const short = Math.min(...o.promptTokens);
  for (const start of [...new Set([short, Math.min(o.longContext, context - o.genTokens)])].filter((c) => c >= 1)) {
    const r = await bench(start, o.genTokens);
    figures.decode.push({ contextTokens: start, genTokens: o.genTokens, msPerToken: r.decodeMsPerToken as never, tokensPerS: r.decodeTokensPerS as never });
  }
  return { ...figures, peakGpuBytes: (await workerGpu(page, 'bufferStats'))?.peakBytes ?? null };
}

async function runVariant(browser: Browser, o: Options, url: string, preset: string, dir: string, variant: VariantId): Promise<Record<string, unknown>> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(o.timeoutS * 1000);
  const started = performance.now();
  try {
    await page.goto(`${url}?bench`);
    await page.getByTestId('load-status').and(page.locator('[data-status="done"]')).waitFor();
    await page.getByTestId('folder-input').setInputFiles(dir);
    await page.locator(`[data-testid="model-name"]:text-is("${path.basename(dir)}")`).waitFor();
    await page.getByTestId('load-status').and(page.locator('[data-status="done"]')).waitFor();
    if (o.precision !== 'auto') await callApi(page, 'setPrecision', o.precision);
    const backend = await callApi(page, 'backendInfo');
    const summary = (await callApi(page, 'modelSummary'))!;
    const plan = variantPlan(variant, summary.numLayers);
    const contextTokens = summary.maxPositionEmbeddings;
    const row: Record<string, unknown> = { preset, variant, backend, layers: summary.numLayers, parameters: summary.parameters, precision: summary.memory.precision };
    const kvBytesPerBlock = 2 * summary.layers[0].numKvHeads * summary.layers[0].headDim * KV_CACHE_ELEMENT_BYTES;
    const bandwidth = await workerGpu(page, 'readBandwidth');
    row.bandwidthGBps = bandwidth?.gbPerS ?? null;
    let prunedWeightsBytes = summary.memory.weightsBytes;
    let prunedLayers = summary.numLayers;
    if (plan.prune) {
      const calibration = { text: { kind: 'bundled', id: 'tinystories' }, windows: 4, seqLen: 128 };
      const pruned = await callApi(page, 'prune', { methodId: plan.prune.methodId, params: plan.prune.params, calibration });
      Object.assign(row, { layersAfter: pruned.layersAfter, parametersAfter: pruned.parametersAfter, removedBlocks: plan.removedBlocks });
      // Approximations for the bound: weights shrink with the parameters (zeros of unstructured sparsity are still read).
      prunedWeightsBytes = (summary.memory.weightsBytes * pruned.parametersAfter) / summary.parameters;
      prunedLayers = pruned.layersAfter;
    }
    // Dense and pruned in the same page, one after the other, so their ratio shares the page's conditions.
    const dense = await measure(page, o, 'loaded', contextTokens);
    row.dense = dense;
    row.denseSweep = await contextSweep(page, o, 'loaded');
    const gbPerS = bandwidth?.gbPerS.median ?? null;
    row.denseBound = decodeBound(dense, gbPerS, summary.memory.weightsBytes, kvBytesPerBlock * summary.numLayers);
    if (plan.prune) {
      const pruned = await measure(page, o, 'pruned', contextTokens);
      row.pruned = pruned;
      row.prunedSweep = await contextSweep(page, o, 'pruned');
      row.prunedBound = decodeBound(pruned, gbPerS, prunedWeightsBytes, kvBytesPerBlock * prunedLayers);
      row.speedups = speedups(pruned, dense, plan, summary.numLayers);
    }
    row.ttftMs = dense.prefill[0]?.ms.median ?? null;
    row.elapsedS = round((performance.now() - started) / 1000, 1);
    return row;
  } catch (error) {
    const alert = await page.getByTestId('error-message').textContent({ timeout: 1000 }).catch(() => null);
    return { preset, variant, error: (error as Error).message.split('\n')[0], alert, elapsedS: round((performance.now() - started) / 1000, 1) };
  } finally {
    await context.close();
  }
}

/** The dense row with transformers.js beside it: ours then theirs on even presets, theirs then ours on odd ones. */
async function denseWithPeer(browser: Browser, o: Options, url: string, peer: PeerSession, presetIndex: number, preset: string, dir: string): Promise<Record<string, unknown>> {
  let plan;
  try {
    plan = await planPeer(peer, o, preset, dir);
  } catch (error) {
    const row = await runVariant(browser, o, url, preset, dir, 'dense');
    return { ...row, transformersJs: { error: (error as Error).message.split('\n')[0] } };
  }
  const theirsFirst = presetIndex % 2 === 1;
  const theirs = () => measurePeer(browser, peer, o, plan).catch((error: Error) => ({ error: error.message.split('\n')[0] }));
  const first = theirsFirst ? await theirs() : null;
  log(`${preset} dense`);
  const row = await runVariant(browser, o, url, preset, dir, 'dense');
  const second = theirsFirst ? first! : await theirs();
  const order = theirsFirst ? 'transformers.js page first, then ours' : 'ours page first, then transformers.js';
  return { ...row, ...(await peerFields(dir, plan, second, row.dense as SpeedFigures | undefined, order)) };
}

export async function runBrowserSpeed(o: Options): Promise<Record<string, unknown>> {
  if (o.build) build(o);
  const preview = await startPreview(o);
  const url = `http://127.0.0.1:${o.port}/`;
  const browser = await chromium.launch({ executablePath: o.chromiumPath, headless: !o.headed, args: [...CHROMIUM_ARGS, ...(o.gpu ? GPU_ARGS : [])] });
  let peer: PeerSession | null = null;
  const rows: Record<string, unknown>[] = [];
  try {
    if (o.peer === 'transformers.js' && o.variants.includes('dense')) peer = await startPeer(o);
    for (const [presetIndex, preset] of o.presets.entries()) {
      const { dir, error } = folderOf(preset, o.dtype);
      if (error) {
        rows.push({ preset, error });
        continue;
      }
      for (const variant of o.variants) {
        if (variant === 'dense' && peer) {
          rows.push(await denseWithPeer(browser, o, url, peer, presetIndex, preset, dir));
          continue;
        }
        log(`${preset} ${variant}`);
        rows.push(await runVariant(browser, o, url, preset, dir, variant));
      }
    }
  } finally {
    await browser.close();
    stopPreview(preview);
    await peer?.close();
  }
  const software = rows.some((r) => (r.backend as { isSoftwareAdapter?: boolean } | undefined)?.isSoftwareAdapter);
  return {
    benchmark: 'browser-speed',
    machine: machineInfo(1),
    browser: { path: o.chromiumPath, version: browser.version(), gpuSwitches: o.gpu, headless: !o.headed },
    note: software ? SOFTWARE_NOTE : 'A hardware adapter: see each row\'s backend.adapter.',
    settings: o,
    rows,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const list = (name: string, fallback: string) => (flags.get(name) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  const num = (name: string, fallback: number) => {
    const v = Number(flags.get(name) ?? fallback);
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`--${name} must be a positive number, got ${flags.get(name)}`);
    return v;
  };
  const dtype = (flags.get('dtype') ?? 'f16') as WeightDtype;
  if (!weightDtypes.includes(dtype)) throw new Error(`--dtype must be one of ${weightDtypes.join(', ')}, got ${dtype}`);
  const precision = (flags.get('precision') ?? 'auto') as Options['precision'];
  if (!['auto', 'fp32', 'fp16'].includes(precision)) throw new Error(`--precision must be auto, fp32 or fp16, got ${precision}`);
  const peer = (flags.get('peer') ?? 'transformers.js') as PeerId;
  if (peer !== 'transformers.js' && peer !== 'none') throw new Error(`--peer must be transformers.js or none, got ${peer}`);
  const result = await runBrowserSpeed({
    presets: list('presets', 'stories260k,smollm2-135m'),
    variants: parseVariants(flags.get('variants') ?? 'dense,blocks-20,blocks-40,channels-25,wanda-50'),
    dtype,
    precision,
    promptTokens: list('prompt', '128,512').map(Number),
    genTokens: num('gen', 128),
    longContext: num('long-context', 1024),
    runs: num('runs', 5),
    warmupRuns: Number(flags.get('warmup') ?? 1),
    gpu: flags.get('gpu') === 'true',
    headed: flags.get('headed') === 'true',
    chromiumPath: flags.get('chromium') ?? process.env.CHROME_PATH ?? '/usr/bin/chromium',
    port: num('port', 4392),
    dist: path.resolve(flags.get('dist') ?? '/tmp/dist-browser-speed'),
    build: flags.get('no-build') !== 'true',
    timeoutS: num('timeout-s', 1800),
    peer,
    peerPort: num('peer-port', 4393),
    peerDist: path.resolve(flags.get('peer-dist') ?? '/tmp/dist-transformers-page'),
    sweepUpTo: Number(flags.get('sweep-up-to') ?? 4096),
    sweepGen: num('sweep-gen', 16),
  });
  printResult('browser-speed', result);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  });
}
