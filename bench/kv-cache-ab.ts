// Decode ms/token against context length, with the fixed-capacity KV cache (GroupQueryAttention writing
// in place into device buffers; the WebGPU default) and with the growing one (present = Concat(past, new),
// a longer buffer every step: `?kvCache=growing`), each in its own page of one Chromium, alternating
// page by page at every context length so both share the machine's conditions. Per context c: the
// lab's benchmark with a c-token prompt and --gen new tokens (median of --runs after --warmup). Prints
// JSON: per point both medians and growing ÷ fixed, the largest jump between neighbouring points of each
// curve (a cache that allocates in steps shows one), the cache bytes, the adapter and browser.
//   npx tsx bench/kv-cache-ab.ts [--contexts 16,64,128,256,384,480] [--gen 16] [--runs 3] [--warmup 1]
//       [--model public/models/stories260K] [--gpu] [--chromium /usr/bin/chromium] [--port 4396] [--no-build]
// On SwiftShader (no GPU) the figures only show the harness works; they say nothing about GPUs.

import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../e2e/chromium-args';
import { build, startPreview, stopPreview } from './browser-serve';
import { log, machineInfo, parseFlags, printResult, round } from './common';
import { largestJump } from './speed-plan';

const GPU_ARGS = ['--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan', '--use-angle=vulkan', '--use-vulkan', '--ignore-gpu-blocklist'];
type Kind = 'fixed' | 'growing';
type Stat = { median: number; min: number; max: number };

const call = (page: Page, method: string, ...args: unknown[]): Promise<unknown> =>
  page.evaluate(({ m, a }) => (window as unknown as { prunelabBench: Record<string, (...x: unknown[]) => Promise<unknown>> }).prunelabBench[m](...a), { m: method, a: args });

const gpuStats = (page: Page) =>
  page
    .workers()
    .find((w) => w.url().includes('lab.worker'))
    ?.evaluate(() => (self as unknown as { prunelabGpu: { bufferStats(): { liveBytes: number; peakBytes: number } } }).prunelabGpu.bufferStats())
    .catch(() => null) ?? Promise.resolve(null);

async function openPage(browser: import('@playwright/test').Browser, url: string, kind: Kind, modelDir: string | null): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(30 * 60_000);
  await page.goto(`${url}?bench${kind === 'growing' ? '&kvCache=growing' : ''}`);
  await page.getByTestId('load-status').and(page.locator('[data-status="done"]')).waitFor();
  if (modelDir) {
    await page.getByTestId('folder-input').setInputFiles(modelDir);
    await page.locator(`[data-testid="model-name"]:text-is("${path.basename(modelDir)}")`).waitFor();
    await page.getByTestId('load-status').and(page.locator('[data-status="done"]')).waitFor();
  }
  return page;
}


async function main(): Promise<void> {
  const flags = parseFlags();
  const contexts = (flags.get('contexts') ?? '16,64,128,256,384,480').split(',').map(Number);
  const gen = Number(flags.get('gen') ?? 16);
  const runs = Number(flags.get('runs') ?? 3);
  const warmupRuns = Number(flags.get('warmup') ?? 1);
  const modelDir = flags.get('model') ? path.resolve(flags.get('model')!) : null;
  const o = { port: Number(flags.get('port') ?? 4396), dist: path.resolve(flags.get('dist') ?? '/tmp/dist-kv-cache-ab') };
  const chromiumPath = flags.get('chromium') ?? process.env.CHROME_PATH ?? '/usr/bin/chromium';
  if (flags.get('no-build') !== 'true') build(o);
  const preview = await startPreview(o);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS, ...(flags.get('gpu') === 'true' ? GPU_ARGS : [])] });
  const url = `http://127.0.0.1:${o.port}/`;
  try {
    const pages = { fixed: await openPage(browser, url, 'fixed', modelDir), growing: await openPage(browser, url, 'growing', modelDir) };
    const backend = (await call(pages.fixed, 'backendInfo')) as Record<string, unknown>;
    const summary = (await call(pages.fixed, 'modelSummary')) as { name: string; maxPositionEmbeddings: number };
    const points: Record<string, unknown>[] = [];
    const curves: Record<Kind, { contextTokens: number; msPerToken: number }[]> = { fixed: [], growing: [] };
    for (const [i, c] of contexts.filter((c) => c + gen <= summary.maxPositionEmbeddings).entries()) {
      const order: Kind[] = i % 2 === 0 ? ['fixed', 'growing'] : ['growing', 'fixed'];
      const row: Record<string, unknown> = { contextTokens: c, order };
      for (const kind of order) {
        log(`context ${c}: ${kind}`);
        const r = (await call(pages[kind], 'benchmark', { promptTokens: c, genTokens: gen, runs, warmupRuns })) as { decodeMsPerToken: Stat };
        row[kind] = { decodeMsPerToken: r.decodeMsPerToken, gpuBuffers: await gpuStats(pages[kind]) };
        curves[kind].push({ contextTokens: c, msPerToken: r.decodeMsPerToken.median });
      }
      row.growingOverFixed = round(curves.growing.at(-1)!.msPerToken / curves.fixed.at(-1)!.msPerToken, 3);
      points.push(row);
    }
    const software = Boolean(backend.isSoftwareAdapter);
    printResult('kv-cache-ab', {
      benchmark: 'kv-cache-ab',
      machine: machineInfo(1),
      browser: { path: chromiumPath, version: browser.version() },
      backend,
      model: summary.name,
      settings: { contexts, genTokens: gen, runs, warmupRuns },
      note: software ? 'Software adapter (SwiftShader or another CPU renderer): these timings say nothing about GPU speed.' : "A hardware adapter: see backend.adapter.",
      points,
      largestJump: { fixed: largestJump(curves.fixed.map((p) => p.msPerToken)), growing: largestJump(curves.growing.map((p) => p.msPerToken)) },
    });
  } finally {
    await browser.close();
    stopPreview(preview);
  }
}

main().catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
