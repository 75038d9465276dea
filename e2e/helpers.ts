// Shared e2e steps: open the lab and wait for the demo model, record every request the page makes,
// run a short evaluation, save screenshots under test-results/screens/; the `test` whose `lab` fixture
// opens the lab in the test's own page; downloads, stored zips and safetensors read back in Node;
// held requests (a test decides when a fetch of the lab worker completes); the engine in Node.

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { unzipFiles } from '../src/export/zip';
import { readSafetensorsHeader, readSafetensorsTensor } from '../src/formats/safetensors';
import { BUNDLED_FILES } from '../src/lab/bundled-data';
import { Lab } from '../src/lab/lab';

export const screensDir = 'test-results/screens';

export interface OpenedLab {
  /** Every URL the page (and its workers) requested. */
  requests: string[];
}

/** Opens the lab at `path` (default '/'; a query sets an experiment) and waits for the demo model. */
export async function openLab(page: Page, path = '/'): Promise<OpenedLab> {
  const requests: string[] = [];
  page.context().on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') console.log(`[browser error] ${message.text()}`);
  });
  page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));
  await page.goto(path);
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('model-card')).toBeVisible();
  return { requests };
}

/** URLs that left the page's origin (blob: and data: URLs never leave the machine). */
export function foreignRequests(requests: string[], baseURL: string): string[] {
  const origin = new URL(baseURL).origin;
  return requests.filter((url) => !url.startsWith('blob:') && !url.startsWith('data:') && new URL(url).origin !== origin);
}

/** Runs an evaluation and waits for it to finish ('done'), or to fail when `expectError`. */
export async function runEvaluation(page: Page, options: { maxWindows: string; seqLen?: string }, { expectError = false } = {}): Promise<void> {
  await page.getByTestId('eval-seq-len').fill(options.seqLen ?? '256');
  await page.getByTestId('eval-max-windows').fill(options.maxWindows);
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', expectError ? 'failed' : 'done', { timeout: 240_000 });
}

/** A full-page screenshot under test-results/screens/, also attached to the test's report entry. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const path = `${screensDir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  await base.info().attach(name, { path, contentType: 'image/png' });
}

export interface QuickPrune {
  methodId: string;
  /** The method's parameters by name: text for inputs, boolean for checkboxes. */
  params?: Record<string, string | boolean>;
  calibration?: { windows: string; seqLen: string };
  /** Held-out evaluation (windows × seqLen), or false to skip it. */
  evaluation?: { windows: string; seqLen: string } | false;
  /** Speed with tiny settings (8 + 4 tokens, 1 run), or false to skip it. */
  speed?: boolean;
  /** Generation dense and pruned (4 new tokens), or false to skip it. */
  generate?: boolean;
}

/** Fills the Prune panel for a tiny run (defaults: 1 × 64 calibration, 1 × 64 evaluation, no speed, no generation). */
export async function fillQuickPrune(page: Page, run: QuickPrune): Promise<void> {
  await page.getByTestId(`method-${run.methodId}`).check();
  await expect(page.getByTestId('method-params')).toHaveAttribute('data-method', run.methodId);
  for (const [name, value] of Object.entries(run.params ?? {})) {
    const control = page.getByTestId(`param-${name}`);
    if (typeof value === 'boolean') await control.setChecked(value);
    else await control.fill(value);
  }
  const calibration = run.calibration ?? { windows: '1', seqLen: '64' };
  await page.getByTestId('prune-calibrationWindows').fill(calibration.windows);
  await page.getByTestId('prune-calibrationSeqLen').fill(calibration.seqLen);
  const evaluation = run.evaluation ?? { windows: '1', seqLen: '64' };
  await page.getByTestId('prune-evaluate').setChecked(evaluation !== false);
  if (evaluation) {
    await page.getByTestId('prune-evalMaxWindows').fill(evaluation.windows);
    await page.getByTestId('prune-evalSeqLen').fill(evaluation.seqLen);
  }
  await page.getByTestId('prune-measureSpeed').setChecked(run.speed === true);
  if (run.speed) {
    await page.getByTestId('prune-speedPromptTokens').fill('8');
    await page.getByTestId('prune-speedGenTokens').fill('4');
    await page.getByTestId('prune-speedRuns').fill('1');
  }
  const generate = page.getByTestId('prune-generate');
  if ((await generate.count()) > 0) {
    await generate.setChecked(run.generate === true);
    if (run.generate) await page.getByTestId('prune-generateTokens').fill('4');
  }
}

/** Waits until the Prune panel's run is done without an error alert. */
export async function waitForPruneDone(page: Page): Promise<void> {
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}

/**
 * Playwright's test with a `lab` fixture: the test's own page (a fresh context, so no IndexedDB runs,
 * no loaded model and no form state from any other test) opened on the demo model. After the test, the
 * fixture checks that no request of the page or its workers left the origin.
 */
export const test = base.extend<{ lab: OpenedLab }>({
  lab: async ({ page, baseURL }, use) => {
    const lab = await openLab(page);
    await use(lab);
    expect(lab.requests.some((url) => url.includes('/ort/')), 'the lab worker\'s requests are recorded').toBe(true);
    expect(foreignRequests(lab.requests, baseURL!), 'requests that left the origin').toEqual([]);
  },
});
export { expect };

/** Clicks, waits for the download it starts, and reads it whole. */
export async function readDownload(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/** The entries of an exported zip (deflated, written by export/zip's zip.js), read back with the same library. */
export async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const entries = await unzipFiles(new Blob([new Uint8Array(zip)]));
  return new Map([...entries].map(([name, bytes]) => [name, Buffer.from(bytes)]));
}

/** The F32 tensors of a safetensors file by name, read with the lab's own reader (src/formats/safetensors). */
export async function safetensorsF32(bytes: Buffer, path = 'model.safetensors'): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const file = await readSafetensorsHeader({ path, blob: new Blob([new Uint8Array(bytes)]) });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const entry of file.entries.values()) {
    expect(entry.dtype, entry.name).toBe('F32');
    tensors.set(entry.name, { shape: entry.shape, data: await readSafetensorsTensor(file, entry.name) });
  }
  return tensors;
}

/**
 * Holds every request of the page and its workers to URLs matching `pattern` until `release()`:
 * the test, not the machine's speed, decides when e.g. a run's calibration text arrives.
 * `held()` counts the requests that reached the hold (released ones included). Routing turns off the HTTP
 * cache, so every fetch of the URL reaches it.
 */
export async function holdRequests(page: Page, pattern: string): Promise<{ held: () => number; release: () => void }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  await page.context().route(pattern, async (route) => {
    held++;
    await released;
    await route.continue();
  });
  return { held: () => held, release };
}

export const demoDir = 'public/models/stories260K';
export const demoFiles = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

/**
 * The engine in this Node process (onnxruntime-web's WASM EP, one thread) with the demo model loaded from
 * the same files the page fetches.
 */
export async function nodeLab(): Promise<Lab> {
  const lab = new Lab({ preferWebGpu: false, numThreads: 1, loadText: (id) => readFile(`public/data/${BUNDLED_FILES[id]}`, 'utf8') });
  const files = await Promise.all(demoFiles.map(async (path) => ({ path, blob: new Blob([new Uint8Array(await readFile(`${demoDir}/${path}`))]) })));
  await lab.loadModel(files);
  return lab;
}

/** Writes files under a fresh temp folder `name`, so a folder input sees paths like 'name/onnx/model.onnx'. */
export async function writeFolder(name: string, files: { path: string; bytes: Uint8Array }[]): Promise<{ folder: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'prunelab-e2e-'));
  const folder = join(root, name);
  for (const file of files) {
    const target = join(folder, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.bytes);
  }
  return { folder, remove: () => rm(root, { recursive: true, force: true }) };
}
