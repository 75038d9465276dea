// The app end to end on the bundled demo model, in one page: load, perplexity (checked against the
// engine in Node on the same windows), generation, speed, cancel; no request leaves the origin.

import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { Lab } from '../src/lab/lab';
import { foreignRequests, openLab, runEvaluation, saveScreenshot, type OpenedLab } from './helpers';

const demoDir = 'public/models/stories260K';
const demoFiles = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

/** The engine's own value in Node (WASM EP), on the same files and windows as the browser. */
async function nodePerplexity(maxWindows: number, seqLen: number): Promise<number> {
  const lab = new Lab({
    preferWebGpu: false,
    numThreads: 1,
    loadText: (id) => readFile(`public/data/${id === 'tinystories' ? 'tinystories-valid-sample.txt' : 'wikitext-2-raw-test.txt'}`, 'utf8'),
  });
  const files = await Promise.all(demoFiles.map(async (path) => ({ path, blob: new Blob([await readFile(`${demoDir}/${path}`)]) })));
  await lab.loadModel(files);
  const result = await lab.evaluatePerplexity({ text: { kind: 'bundled', id: 'tinystories' }, seqLen, maxWindows });
  return result.ppl;
}

test.describe('Prunelab on the demo model', () => {
  let page: Page;
  let lab: OpenedLab;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage();
    lab = await openLab(page);
  });
  test.afterAll(async () => {
    await page.close();
  });

  test('loads the demo model at start: 5 layers, import check below 1e-4, adapter shown', async () => {
    await expect(page.getByTestId('model-layers')).toHaveText('5');
    await expect(page.getByTestId('model-heads')).toHaveText('8 / 4');
    const check = page.getByTestId('import-check');
    await expect(check).toHaveAttribute('data-status', 'pass');
    const maxAbsDiff = Number(await check.getAttribute('data-max-abs-diff'));
    expect(maxAbsDiff).toBeGreaterThanOrEqual(0);
    expect(maxAbsDiff).toBeLessThan(1e-4);
    await expect(page.getByTestId('backend-name')).toHaveText(/WebGPU|WASM/);
    await expect(page.getByTestId('adapter')).not.toBeEmpty();
    // Chromium without a GPU gives WebGPU SwiftShader: the page must say its timings mean nothing.
    const adapter = (await page.getByTestId('adapter').textContent()) ?? '';
    if (/swiftshader/i.test(adapter)) await expect(page.getByTestId('software-warning')).toContainText('say nothing about GPU speed');
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    await saveScreenshot(page, '01-model-loaded');
  });

  test('perplexity on 4 windows of 256 matches the engine in Node within 1e-3', async () => {
    await runEvaluation(page, { maxWindows: '4' });
    const browserPpl = Number(await page.getByTestId('eval-ppl').getAttribute('data-value'));
    await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '4');
    await expect(page.getByTestId('eval-windows')).toContainText('4 of');
    await saveScreenshot(page, '02-perplexity');
    const nodePpl = await nodePerplexity(4, 256);
    expect(Number.isFinite(browserPpl)).toBe(true);
    expect(Math.abs(browserPpl - nodePpl) / nodePpl).toBeLessThan(1e-3);
  });

  test('greedy generation continues the story', async () => {
    await page.getByTestId('gen-prompt').fill('Once upon a time');
    await page.getByTestId('gen-run').click();
    await expect(page.getByTestId('gen-status')).toHaveAttribute('data-status', 'done');
    await expect(page.getByTestId('gen-output')).toHaveText(/^Once upon a time, there was a little girl named Lily/);
    await saveScreenshot(page, '03-generate');
  });

  test('a speed run shows prefill and decode numbers', async () => {
    await page.getByTestId('bench-prompt-tokens').fill('32');
    await page.getByTestId('bench-gen-tokens').fill('16');
    await page.getByTestId('bench-runs').fill('2');
    await page.getByTestId('bench-run').click();
    await expect(page.getByTestId('bench-status')).toHaveAttribute('data-status', 'done');
    for (const id of ['bench-prefill-ms', 'bench-prefill-tps', 'bench-decode-ms', 'bench-decode-tps']) {
      const value = Number(await page.getByTestId(id).getAttribute('data-value'));
      expect(value, id).toBeGreaterThan(0);
    }
    await saveScreenshot(page, '04-speed');
  });

  test('cancelling an evaluation midway leaves a working lab', async () => {
    await page.getByTestId('eval-max-windows').fill('');
    await page.getByTestId('eval-run').click();
    await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'running');
    // Progress arrives per batch of windows; cancel once the first batch is on the chart.
    await expect.poll(async () => Number(await page.getByTestId('eval-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'running');
    await page.getByTestId('eval-cancel').click();
    await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'cancelled');
    await expect(page.getByTestId('eval-status')).toContainText('Cancelled');
    await expect(page.getByTestId('error-alert')).toHaveCount(0);
    await runEvaluation(page, { maxWindows: '2' });
    await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '2');
  });

  test('no request left the origin', async ({ baseURL }) => {
    expect(lab.requests.length).toBeGreaterThan(5);
    expect(lab.requests.some((url) => url.includes('/ort/'))).toBe(true);
    expect(foreignRequests(lab.requests, baseURL!)).toEqual([]);
  });
});
