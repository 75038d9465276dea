// The lab in a real Chromium (WebGPU, or WASM), on random-weight models with real release shapes:
// per preset, load the folder through the lab's folder input, evaluate one tiny window, generate 4
// tokens, and record what the lab showed (status, ppl, the error alert verbatim), the wall time of each
// phase and the memory: the summed RSS of every Chromium process (polled every 500 ms), the lab
// worker's JS heap (CDP Runtime.getHeapUsage on the worker target), and the bytes of live GPU buffers
// (a counter prepended to the worker script). Failures are recorded, never thrown.
//   npx tsx bench/browser-memory.ts [--presets qwen2.5-0.5b,llama-3.2-1b] [--timeout-s 900]
//       [--seq-len 16] [--gen-tokens 4] [--port 4391] [--dist /tmp/dist-browser-bench] [--no-build]
//       [--chromium /usr/bin/chromium] [--dtype f16]
// Linux only (RSS from /proc). SwiftShader (Chromium's WebGPU without a GPU) is a CPU renderer: its
// timings say nothing about GPU speed.

import { build, startPreview, stopPreview } from './browser-serve';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../e2e/chromium-args';
import { log, parseFlags, printResult, round } from './common';
import { presetByName, presetFolderRow, weightDtypes, type WeightDtype } from './random-model';

const POLL_MS = 500;
const NOTE =
  "Chromium's WebGPU without a GPU is SwiftShader, a CPU renderer: exact but slow. Its timings say nothing about GPU speed; " +
  'the memory figures are what this browser, onnxruntime-web and the lab hold on this machine.';

// ---------------------------------------------------------------------------------------------------
// GPU buffer counter, prepended to the lab worker's script (page.route) and added to the page
// (addInitScript, which does not reach workers). Live bytes = created − destroyed − garbage-collected
// (FinalizationRegistry) − buffers of destroyed devices; peak since the last reset.

const GPU_COUNTER = `(() => {
  const g = globalThis;
  if (g.__benchGpu) return;
  const s = g.__benchGpu = { liveBytes: 0, peakBytes: 0, phasePeakBytes: 0, liveBuffers: 0, peakBuffers: 0, createdBuffers: 0, createdBytes: 0, largestBytes: 0, failedCreates: 0 };
  // onnxruntime's wasm heap: every WebAssembly.Memory made or exported here (a wasm heap never shrinks).
  const memories = s.wasmMemories = [];
  const keepMemory = (m) => { if (m instanceof WebAssembly.Memory && !memories.some((r) => r.deref() === m)) memories.push(new WeakRef(m)); };
  const Memory = WebAssembly.Memory;
  WebAssembly.Memory = class extends Memory { constructor(d) { super(d); keepMemory(this); } };
  const fromExports = (r) => { const exports = (r && (r.instance || r).exports) || {}; for (const v of Object.values(exports)) keepMemory(v); return r; };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const f = WebAssembly[name];
    if (typeof f === 'function') WebAssembly[name] = function (...args) { return f.apply(this, args).then(fromExports); };
  }
  if (typeof g.GPUDevice === 'undefined' || typeof g.GPUBuffer === 'undefined') return;
  const info = new WeakMap();
  const devices = new Map();
  const sub = (r) => {
    if (r.dead) return;
    r.dead = true;
    const d = devices.get(r.device);
    if (!d) return; // its device was destroyed, and counted off then
    d.bytes -= r.size; d.count--; s.liveBytes -= r.size; s.liveBuffers--;
  };
  const gc = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(sub) : null;
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    let buffer;
    try { buffer = create.call(this, descriptor); } catch (e) { s.failedCreates++; throw e; }
    const size = Number(descriptor && descriptor.size) || 0;
    let d = devices.get(this);
    if (!d) { d = { bytes: 0, count: 0 }; devices.set(this, d); }
    const r = { size, device: this, dead: false };
    info.set(buffer, r);
    if (gc) gc.register(buffer, r);
    d.bytes += size; d.count++;
    s.liveBytes += size; s.liveBuffers++; s.createdBuffers++; s.createdBytes += size;
    if (size > s.largestBytes) s.largestBytes = size;
    if (s.liveBytes > s.peakBytes) s.peakBytes = s.liveBytes;
    if (s.liveBytes > s.phasePeakBytes) s.phasePeakBytes = s.liveBytes;
    if (s.liveBuffers > s.peakBuffers) s.peakBuffers = s.liveBuffers;
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () { const r = info.get(this); if (r) sub(r); return destroy.call(this); };
  const destroyDevice = GPUDevice.prototype.destroy;
  GPUDevice.prototype.destroy = function () {
    const d = devices.get(this);
    if (d) { s.liveBytes -= d.bytes; s.liveBuffers -= d.count; devices.delete(this); s.destroyedDevices = (s.destroyedDevices || 0) + 1; }
    return destroyDevice.call(this);
  };
})();
`;

interface GpuCounter {
  /** Σ byteLength of the wasm memories seen in the worker (onnxruntime's heap), at the time of reading. */
  wasmHeapBytes?: number;
  liveBytes: number;
  peakBytes: number;
  phasePeakBytes: number;
  liveBuffers: number;
  peakBuffers: number;
  createdBuffers: number;
  createdBytes: number;
  largestBytes: number;
  failedCreates: number;
}

// ---------------------------------------------------------------------------------------------------
// Chromium's processes: every descendant of this Node process whose executable is Chromium's.

interface ProcInfo {
  pid: number;
  type: string;
  rssBytes: number;
  hwmBytes: number;
}

function readProc(pid: number, file: string): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

function chromiumProcesses(rootPid: number, excludePid: number | undefined): ProcInfo[] {
  const parents = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(Number(name), 'stat');
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = parents.get(ppid) ?? [];
    list.push(Number(name));
    parents.set(ppid, list);
  }
  const out: ProcInfo[] = [];
  const stack = [...(parents.get(rootPid) ?? [])].filter((p) => p !== excludePid);
  while (stack.length) {
    const pid = stack.pop()!;
    stack.push(...(parents.get(pid) ?? []));
    let exe = '';
    try {
      exe = fs.readlinkSync(`/proc/${pid}/exe`);
    } catch {
      continue;
    }
    if (!/chrom/i.test(path.basename(exe))) continue;
    const status = readProc(pid, 'status') ?? '';
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    // Chromium rewrites its children's command lines into one space-separated title.
    const cmdline = (readProc(pid, 'cmdline') ?? '').replace(/\0/g, ' ');
    const sub = /--utility-sub-type=(\S+)/.exec(cmdline)?.[1];
    const kind = /--type=(\S+)/.exec(cmdline)?.[1];
    const type = kind ? (sub ? `${kind}:${sub.replace(/^.*\./, '')}` : kind) : path.basename(exe).includes('crashpad') ? 'crashpad' : 'browser';
    out.push({ pid, type, rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') });
  }
  return out;
}

const byType = (procs: ProcInfo[]) => {
  const m: Record<string, number> = {};
  for (const p of procs) m[p.type] = (m[p.type] ?? 0) + p.rssBytes;
  return m;
};

// ---------------------------------------------------------------------------------------------------
// The lab worker's JS heap through CDP: a browser session attaches to the worker target (not flattened,
// so Playwright's own session stays as it is) and sends Runtime.getHeapUsage through Target.sendMessageToTarget.

interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
  embedderHeapUsedSize?: number;
}

class WorkerHeap {
  private sessionId: string | null = null;
  private next = 1;
  private pending = new Map<number, (r: { result?: HeapUsage; error?: { message: string } }) => void>();
  note: string | null = null;

  constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
      if (event.sessionId !== this.sessionId) return;
      const message = JSON.parse(event.message) as { id?: number; result?: HeapUsage; error?: { message: string } };
      if (message.id !== undefined) this.pending.get(message.id)?.(message);
      if (message.id !== undefined) this.pending.delete(message.id);
    });
    cdp.on('Target.detachedFromTarget', (event: { sessionId: string }) => {
      if (event.sessionId === this.sessionId) this.sessionId = null;
    });
  }

  static async open(browser: Browser): Promise<WorkerHeap | null> {
    try {
      return new WorkerHeap(await browser.newBrowserCDPSession());
    } catch {
      return null;
    }
  }

  private async attach(): Promise<boolean> {
    if (this.sessionId) return true;
    const { targetInfos } = (await this.cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    const target = targetInfos.find((t) => t.type === 'worker' && t.url.includes('lab.worker'));
    if (!target) {
      this.note = 'no lab worker target';
      return false;
    }
    const { sessionId } = (await this.cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })) as { sessionId: string };
    this.sessionId = sessionId;
    return true;
  }

  /** Runtime.getHeapUsage of the lab worker, or null (no worker yet, busy past `timeoutMs`, crashed). */
  async read(timeoutMs = 3000): Promise<HeapUsage | null> {
    try {
      if (!(await this.attach())) return null;
      const id = this.next++;
      const answer = new Promise<{ result?: HeapUsage; error?: { message: string } } | null>((resolve) => {
        this.pending.set(id, resolve);
        setTimeout(() => {
          this.pending.delete(id);
          resolve(null);
        }, timeoutMs);
      });
      await this.cdp.send('Target.sendMessageToTarget', { sessionId: this.sessionId!, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
      const r = await answer;
      this.note = r?.error ? r.error.message : r ? null : `no answer within ${timeoutMs} ms`;
      return r?.result ?? null;
    } catch (e) {
      this.note = (e as Error).message.split('\n')[0];
      this.sessionId = null;
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------------

interface PhaseMemory {
  /** Highest sum of VmRSS over Chromium's processes, polled every 500 ms during the phase. */
  peakRssBytes: number;
  peakRssByType: Record<string, number>;
  endRssBytes: number;
  endRssByType: Record<string, number>;
  /** Σ VmHWM of the processes alive at the end (each process's own peak; an upper bound of the summed peak). */
  endSumHwmBytes: number;
  processes: number;
  /** The lab worker's JS heap (Runtime.getHeapUsage), highest polled and at the end; null when unreadable. */
  workerHeapPeakUsedBytes: number | null;
  workerHeapEnd: HeapUsage | null;
  /** GPU buffers the lab worker created through WebGPU (bytes asked for in createBuffer). */
  gpuBufferPeakBytes: number | null;
  gpuBufferEndBytes: number | null;
  gpuBuffersLiveEnd: number | null;
  gpuLargestBufferBytes: number | null;
  /** onnxruntime's wasm heap in the lab worker (WebAssembly.Memory byteLength; it only grows). */
  wasmHeapBytes: number | null;
}

type Outcome = 'ok' | 'refused' | 'failed' | 'timeout' | 'crashed' | 'skipped';

interface PhaseResult {
  /** ok; refused = the lab's own up-front 'insufficient-memory' (expected for a model that cannot fit); failed; timeout; crashed; skipped. */
  outcome: Outcome;
  ok: boolean;
  status: string | null;
  wallS: number;
  timedOut: boolean;
  crashed: boolean;
  /** The error alert as shown: its code (data-code), title and message, verbatim. */
  errorCode: string | null;
  errorTitle: string | null;
  error: string | null;
  memory: PhaseMemory | null;
  [key: string]: unknown;
}

class Sampler {
  peak = 0;
  peakByType: Record<string, number> = {};
  heapPeak: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heapBusy = false;

  constructor(
    private readonly rootPid: number,
    private readonly excludePid: number | undefined,
    private readonly heap: WorkerHeap | null,
  ) {}

  sample(): ProcInfo[] {
    const procs = chromiumProcesses(this.rootPid, this.excludePid);
    const sum = procs.reduce((s, p) => s + p.rssBytes, 0);
    if (sum > this.peak) {
      this.peak = sum;
      this.peakByType = byType(procs);
    }
    return procs;
  }

  start(): void {
    this.peak = 0;
    this.peakByType = {};
    this.heapPeak = null;
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
      if (this.heap && !this.heapBusy) {
        this.heapBusy = true;
        void this.heap.read(2000).then((h) => {
          this.heapBusy = false;
          if (h) this.heapPeak = Math.max(this.heapPeak ?? 0, h.usedSize);
        });
      }
    }, POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

async function gpuCounter(page: Page, reset: boolean): Promise<GpuCounter | null> {
  const worker = page.workers().find((w) => w.url().includes('lab.worker'));
  if (!worker) return null;
  const read = worker.evaluate((doReset) => {
    const s = (globalThis as unknown as { __benchGpu?: GpuCounter & { wasmMemories?: WeakRef<WebAssembly.Memory>[] } }).__benchGpu;
    if (!s) return null;
    if (doReset) s.phasePeakBytes = s.liveBytes;
    const { wasmMemories, ...counts } = s;
    return { ...counts, wasmHeapBytes: (wasmMemories ?? []).reduce((sum, r) => sum + (r.deref()?.buffer.byteLength ?? 0), 0) };
  }, reset);
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000));
  return Promise.race([read.catch(() => null), timeout]);
}

interface Env {
  page: Page;
  sampler: Sampler;
  heap: WorkerHeap | null;
  timeoutS: number;
  crashed: () => boolean;
}

/** The visible error alert (ErrorAlert.tsx), verbatim, or nulls. */
async function readAlert(page: Page): Promise<{ errorCode: string | null; errorTitle: string | null; error: string | null }> {
  try {
    const alert = page.getByTestId('error-alert');
    if ((await alert.count()) === 0) return { errorCode: null, errorTitle: null, error: null };
    return {
      errorCode: await alert.getAttribute('data-code', { timeout: 5000 }),
      errorTitle: ((await alert.locator('.alert-title').textContent({ timeout: 5000 })) ?? '').trim(),
      error: ((await page.getByTestId('error-message').textContent({ timeout: 5000 })) ?? '').trim(),
    };
  } catch {
    return { errorCode: null, errorTitle: null, error: null };
  }
}

async function dismissAlert(page: Page): Promise<void> {
  try {
    const button = page.getByTestId('error-alert').getByRole('button', { name: 'Dismiss the error' });
    if ((await button.count()) > 0) await button.click({ timeout: 5000 });
  } catch {
    // the page may be gone
  }
}

/**
 * Runs one phase: `start` triggers it, then the status element's data-status is awaited until it is
 * terminal (after having left its previous value), while memory is polled. Never throws.
 */
async function runPhase(
  env: Env,
  name: string,
  statusTestId: string,
  start: () => Promise<void>,
  extra: () => Promise<Record<string, unknown>>,
  requireChange = true,
): Promise<PhaseResult> {
  const { page, sampler } = env;
  log(`${name}: start`);
  await gpuCounter(page, true);
  // Every data-status the element takes from now on (a load replaces a 'done' with 'running', then 'done').
  await page
    .evaluate((id) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      const w = window as unknown as { __benchStatuses: string[] };
      w.__benchStatuses = [];
      if (!el) return;
      new MutationObserver(() => w.__benchStatuses.push(el.getAttribute('data-status') ?? '')).observe(el, { attributes: true, attributeFilter: ['data-status'] });
    }, statusTestId)
    .catch(() => {});
  sampler.start();
  const t0 = performance.now();
  let timedOut = false;
  let failure: string | null = null;
  let status: string | null = null;
  try {
    await start();
    await page.waitForFunction(
      ([id, changed]) => {
        const seen = (window as unknown as { __benchStatuses?: string[] }).__benchStatuses;
        const now = document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-status');
        if (changed && !seen?.length) return false;
        return ['done', 'failed', 'cancelled'].includes(now ?? '') ? now : false;
      },
      [statusTestId, requireChange] as const,
      { timeout: env.timeoutS * 1000, polling: 250 },
    );
    status = await page.getByTestId(statusTestId).getAttribute('data-status');
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    if (/Timeout/i.test(message) && !env.crashed()) timedOut = true;
    failure = env.crashed() ? `the page crashed (${message})` : timedOut ? `timed out after ${env.timeoutS} s (status ${await page.getByTestId(statusTestId).getAttribute('data-status', { timeout: 5000 }).catch(() => '?')})` : message;
  }
  const wallS = round((performance.now() - t0) / 1000, 2);
  sampler.stop();
  const procs = sampler.sample();
  const heapEnd = env.crashed() ? null : await (env.heap?.read(5000) ?? Promise.resolve(null));
  const gpu = env.crashed() ? null : await gpuCounter(page, false);
  const memory: PhaseMemory = {
    peakRssBytes: sampler.peak,
    peakRssByType: sampler.peakByType,
    endRssBytes: procs.reduce((s, p) => s + p.rssBytes, 0),
    endRssByType: byType(procs),
    endSumHwmBytes: procs.reduce((s, p) => s + p.hwmBytes, 0),
    processes: procs.length,
    workerHeapPeakUsedBytes: Math.max(sampler.heapPeak ?? 0, heapEnd?.usedSize ?? 0) || null,
    workerHeapEnd: heapEnd,
    gpuBufferPeakBytes: gpu?.phasePeakBytes ?? null,
    gpuBufferEndBytes: gpu?.liveBytes ?? null,
    gpuBuffersLiveEnd: gpu?.liveBuffers ?? null,
    gpuLargestBufferBytes: gpu?.largestBytes ?? null,
    wasmHeapBytes: gpu?.wasmHeapBytes ?? null,
  };
  const alert = env.crashed() ? { errorCode: null, errorTitle: null, error: null } : await readAlert(page);
  const ok = status === 'done' && alert.error === null;
  const details = ok && !env.crashed() ? await extra().catch((e: Error) => ({ extraError: e.message.split('\n')[0] })) : {};
  if (alert.error) await dismissAlert(page);
  const outcome: Outcome = ok
    ? 'ok'
    : env.crashed()
      ? 'crashed'
      : timedOut
        ? 'timeout'
        : alert.errorCode === 'insufficient-memory'
          ? 'refused'
          : 'failed';
  const result: PhaseResult = {
    outcome,
    ok,
    status,
    wallS,
    timedOut,
    crashed: env.crashed(),
    errorCode: alert.errorCode,
    errorTitle: alert.errorTitle,
    error: alert.error ?? failure ?? (status && status !== 'done' ? `status ${status}` : null),
    ...details,
    memory,
  };
  const mib = (b: number | null) => (b === null ? '?' : round(b / 2 ** 20, 0));
  log(`${name}: ${ok ? 'ok' : 'FAILED'} in ${wallS} s, peak RSS ${mib(memory.peakRssBytes)} MiB, wasm heap ${mib(memory.wasmHeapBytes)} MiB, GPU buffers peak ${mib(memory.gpuBufferPeakBytes)} MiB${result.error ? `: ${result.error.slice(0, 400)}` : ''}`);
  return result;
}

const skipped = (why: string): PhaseResult => ({ outcome: 'skipped', ok: false, status: null, wallS: 0, timedOut: false, crashed: false, errorCode: null, errorTitle: null, error: `skipped: ${why}`, memory: null });

// ---------------------------------------------------------------------------------------------------

export interface BrowserMemoryOptions {
  presets: string[];
  timeoutS: number;
  seqLen: number;
  genTokens: number;
  port: number;
  dist: string;
  build: boolean;
  chromiumPath: string;
  dtype: WeightDtype;
}

async function runPreset(o: BrowserMemoryOptions, name: string, url: string, previewPid: number | undefined, machine: Record<string, unknown>): Promise<Record<string, unknown>> {
  const shape = presetByName(name);
  const { dir, row } = presetFolderRow(name, o.dtype, log);
  if (row.error) return row;

  let browser: Browser | null = null;
  const consoleTail: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: o.chromiumPath, headless: true, args: CHROMIUM_ARGS });
    machine.chromium ??= browser.version();
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    await context.addInitScript({ content: GPU_COUNTER });
    // The lab worker's script, served with the GPU buffer counter in front (addInitScript does not reach workers).
    let patched = 0;
    await context.route('**/assets/lab.worker-*.js', async (route) => {
      const response = await route.fetch();
      patched++;
      await route.fulfill({ response, body: GPU_COUNTER + '\n' + (await response.text()) });
    });
    const page = await context.newPage();
    let crashed = false;
    page.on('crash', () => {
      crashed = true;
      consoleTail.push('[page crashed]');
    });
    const keep = (line: string) => {
      consoleTail.push(line.slice(0, 2000));
      if (consoleTail.length > 30) consoleTail.shift();
    };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') keep(`[${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => keep(`[pageerror] ${e.message}`));
    page.on('worker', (w) => {
      w.on('close', () => keep(`[worker closed] ${w.url()}`));
    });
    const heap = await WorkerHeap.open(browser);
    const sampler = new Sampler(process.pid, previewPid, heap);
    const env: Env = { page, sampler, heap, timeoutS: o.timeoutS, crashed: () => crashed };

    // Open the lab on its demo model (as e2e does), then read what it runs on.
    const open = await runPhase(env, `${name} open`, 'load-status', async () => {
      await page.goto(url);
    }, async () => ({}), false);
    row.open = open;
    const header = async (): Promise<Record<string, unknown>> => ({
      backend: (await page.getByTestId('backend-name').textContent({ timeout: 10_000 }))?.trim() ?? null,
      precision: (await page.getByTestId('precision').textContent({ timeout: 10_000 }))?.trim() ?? null,
      adapter: (await page.getByTestId('adapter').textContent({ timeout: 10_000 }))?.trim() ?? null,
      threads: Number(/(\d+) threads?/.exec((await page.locator('header .backend').textContent({ timeout: 10_000 })) ?? '')?.[1] ?? NaN) || null,
      softwareAdapterWarning: (await page.getByTestId('software-warning').count()) > 0,
    });
    Object.assign(row, await header().catch(() => ({})));
    row.crossOriginIsolated = await page.evaluate(() => crossOriginIsolated).catch(() => null);
    row.workerScriptPatched = patched > 0;
    if (!machine.adapter && typeof row.adapter === 'string') machine.adapter = row.adapter;
    machine.adapterLimits ??= await page
      .evaluate(async () => {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string>; limits: Record<string, number> } | null> } }).gpu;
        const a = await gpu?.requestAdapter();
        if (!a) return null;
        return { shaderF16: a.features.has('shader-f16'), maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize };
      })
      .catch(() => null);
    if (!open.ok) {
      row.load = row.eval = row.generate = skipped('the lab did not open');
      return row;
    }

    const files = fs.readdirSync(dir).filter((f) => !f.endsWith('.partial'));
    row.load = await runPhase(env, `${name} load`, 'load-status', () => page.getByTestId('folder-input').setInputFiles(dir), async () => ({
      modelName: (await page.getByTestId('model-name').textContent())?.trim(),
      layers: Number(await page.getByTestId('model-layers').textContent()),
      parametersShown: (await page.getByTestId('model-parameters').textContent())?.trim(),
      memoryLine: (await page.getByTestId('model-memory').textContent())?.trim(),
      files,
      ...(await header()),
    }));
    const load = row.load as PhaseResult;
    const loadedRight = load.ok && load.layers === shape.numLayers;
    if (load.ok && !loadedRight) {
      load.error = `the lab shows ${load.layers} layers, the preset has ${shape.numLayers}`;
      load.outcome = 'failed';
    }
    if (!loadedRight) {
      row.eval = row.generate = skipped('the model did not load');
      return row;
    }

    row.eval = await runPhase(
      env,
      `${name} eval`,
      'eval-status',
      async () => {
        await page.getByTestId('eval-seq-len').fill(String(o.seqLen));
        await page.getByTestId('eval-max-windows').fill('1');
        await page.getByTestId('eval-run').click();
      },
      async () => ({
        ppl: Number(await page.getByTestId('eval-ppl').getAttribute('data-value')),
        nll: Number(await page.getByTestId('eval-nll').getAttribute('data-value')),
        windows: (await page.getByTestId('eval-windows').textContent())?.trim(),
        speed: (await page.getByTestId('eval-speed').textContent())?.trim(),
      }),
    );
    const ev = row.eval as PhaseResult;
    if (ev.timedOut || ev.crashed) {
      row.generate = skipped(`the evaluation ${ev.crashed ? 'crashed the page' : 'timed out (the lab is still busy)'}`);
      return row;
    }

    row.generate = await runPhase(
      env,
      `${name} generate`,
      'gen-status',
      async () => {
        await page.getByTestId('gen-max-tokens').fill(String(o.genTokens));
        await page.getByTestId('gen-run').click();
      },
      async () => ({
        statusText: (await page.getByTestId('gen-status').textContent())?.trim(),
        text: (await page.getByTestId('gen-output').textContent())?.trim().slice(0, 300),
      }),
    );
    row.heapNote = heap ? heap.note : 'no browser CDP session';
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
  } finally {
    row.console = consoleTail;
    await browser?.close().catch(() => {});
  }
  return row;
}

const MiB = (b: number | null | undefined) => (typeof b === 'number' ? round(b / 2 ** 20, 0) : null);

/** One line per preset: each phase's outcome and seconds, and the highest memory figures over the phases. */
function summarize(row: Record<string, unknown>): Record<string, unknown> {
  const phases = ['load', 'eval', 'generate'] as const;
  const results = phases.map((p) => row[p] as PhaseResult | undefined);
  const max = (f: (m: PhaseMemory) => number | null) => {
    const values = results.map((r) => (r?.memory ? f(r.memory) : null)).filter((v): v is number => typeof v === 'number');
    return values.length ? Math.max(...values) : null;
  };
  return {
    preset: row.preset,
    backend: row.backend ?? null,
    precision: row.precision ?? null,
    ...Object.fromEntries(
      phases.map((p, i) => {
        const r = results[i];
        return [p, r ? { outcome: r.outcome, wallS: r.wallS, ...(typeof r.ppl === 'number' ? { ppl: round(r.ppl, 1) } : {}), ...(r.errorCode ? { errorCode: r.errorCode } : {}) } : null];
      }),
    ),
    peakRssMiB: MiB(max((m) => m.peakRssBytes)),
    peakRendererRssMiB: MiB(max((m) => m.peakRssByType.renderer ?? null)),
    peakGpuProcessRssMiB: MiB(max((m) => m.peakRssByType['gpu-process'] ?? null)),
    wasmHeapMiB: MiB(max((m) => m.wasmHeapBytes)),
    gpuBufferPeakMiB: MiB(max((m) => m.gpuBufferPeakBytes)),
    workerJsHeapPeakMiB: MiB(max((m) => m.workerHeapPeakUsedBytes)),
    ...(row.error ? { error: row.error } : {}),
  };
}

export async function runBrowserMemory(o: BrowserMemoryOptions): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  for (const p of o.presets) presetByName(p);
  const machine: Record<string, unknown> = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemBytes: os.totalmem(),
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    chromiumPath: o.chromiumPath,
  };
  if (o.build) build(o);
  const preview = await startPreview(o);
  const url = `http://127.0.0.1:${o.port}/`;
  const rows: Record<string, unknown>[] = [];
  try {
    for (const name of o.presets) rows.push(await runPreset(o, name, url, preview.pid, machine));
  } finally {
    stopPreview(preview);
  }
  return {
    benchmark: 'browser-memory',
    note: NOTE,
    machine,
    summary: rows.map(summarize),
    settings: { ...o, chromiumArgs: CHROMIUM_ARGS, pollMs: POLL_MS },
    howMeasured: {
      rss: 'Σ VmRSS of every Chromium process under this Node process (/proc/<pid>/status), polled every 500 ms; peak and at the end of each phase, by process type (browser, renderer = the page and its lab worker, gpu-process = WebGPU/SwiftShader, utility); shared pages are counted once per process',
      workerHeap: "the lab worker's V8 heap: CDP Runtime.getHeapUsage on its target (a browser CDP session, Target.attachToTarget flatten:false + Target.sendMessageToTarget); usedSize polled with the RSS when the worker answers within 2 s (backingStorageSize does not include the wasm memory: see wasmHeapBytes)",
      wasmHeap: "onnxruntime's wasm heap in the lab worker: the same prepended script keeps every WebAssembly.Memory made or instantiated there and reads buffer.byteLength (a wasm heap grows in steps of up to ~96 MiB and never shrinks)",
      gpuBuffers: "bytes asked of GPUDevice.createBuffer in the lab worker minus GPUBuffer.destroy, garbage-collected buffers and destroyed devices: a counter prepended to the worker's script by page.route (context.addInitScript does not reach workers), read with Playwright's worker.evaluate; peak within the phase and live at its end",
    },
    presets: rows,
    elapsedS: round((performance.now() - t0) / 1000, 1),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const num = (name: string, fallback: number) => {
    const v = Number(flags.get(name) ?? fallback);
    if (!(v > 0)) throw new Error(`--${name} must be a positive number, got ${flags.get(name)}`);
    return v;
  };
  const dtype = (flags.get('dtype') ?? 'f16') as WeightDtype;
  if (!weightDtypes.includes(dtype)) throw new Error(`--dtype must be one of ${weightDtypes.join(', ')}, got ${dtype}`);
  const result = await runBrowserMemory({
    presets: (flags.get('presets') ?? 'qwen2.5-0.5b,llama-3.2-1b').split(',').map((s) => s.trim()).filter(Boolean),
    timeoutS: num('timeout-s', 900),
    seqLen: num('seq-len', 16),
    genTokens: num('gen-tokens', 4),
    port: num('port', 4391),
    dist: path.resolve(flags.get('dist') ?? '/tmp/dist-browser-bench'),
    build: flags.get('no-build') !== 'true',
    chromiumPath: flags.get('chromium') ?? process.env.CHROME_PATH ?? '/usr/bin/chromium',
    dtype,
  });
  printResult('browser-memory', result);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  });
}
