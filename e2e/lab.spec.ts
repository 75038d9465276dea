// The app end to end on the bundled demo model, each test in its own page (the `lab` fixture opens the
// lab and waits for the demo model; after the test it checks that no request left the origin): load +
// import check, conversion of the loaded model to a transformers.js folder, perplexity (checked against the
// engine in Node on the same windows), generation, speed (and the GPU benchmark, saved and exported), cancel. The import check's failing case is in import-check.spec.ts.

import { expect, nodeLab, readDownload, runEvaluation, saveScreenshot, test, unzip } from './helpers';

/** The engine's own value in Node (WASM EP), on the same files and windows as the browser. */
async function nodePerplexity(maxWindows: number, seqLen: number): Promise<number> {
  const lab = await nodeLab();
  const result = await lab.evaluatePerplexity({ text: { kind: 'bundled', id: 'tinystories' }, seqLen, maxWindows });
  return result.ppl;
}

test.describe('Prunelab on the demo model', () => {
  test('loads the demo model at start: 5 layers, import check finite, above 0 and below 1e-4, adapter shown', async ({ page, lab }) => {
    await expect(page.getByTestId('model-layers')).toHaveText('5');
    await expect(page.getByTestId('model-heads')).toHaveText('8 / 4');
    const check = page.getByTestId('import-check');
    await expect(check).toHaveAttribute('data-status', 'pass');
    await expect(check).toHaveAttribute('data-tolerance', '0.0001');
    const maxAbsDiff = Number(await check.getAttribute('data-max-abs-diff'));
    // Two different graphs (ours, rebuilt; the dropped one) on two EPs never agree to the last bit:
    // ~1e-5 here. 0 would mean the check compared a graph with itself.
    expect(Number.isFinite(maxAbsDiff)).toBe(true);
    expect(maxAbsDiff).toBeGreaterThan(0);
    expect(maxAbsDiff).toBeLessThan(1e-4);
    await expect(page.getByTestId('backend-name')).toHaveText(/WebGPU|WASM/);
    await expect(page.getByTestId('adapter')).not.toBeEmpty();
    // Chromium without a GPU gives WebGPU SwiftShader: the page must say its timings mean nothing.
    const adapter = (await page.getByTestId('adapter').textContent()) ?? '';
    if (/swiftshader/i.test(adapter)) await expect(page.getByTestId('software-warning')).toContainText('say nothing about GPU speed');
    // Precision in effect, with its reason: fp16 only where the adapter has shader-f16 (SwiftShader has not).
    const hasF16 = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }).gpu;
      return (await gpu?.requestAdapter())?.features.has('shader-f16') === true;
    });
    await expect(page.getByTestId('precision')).toHaveText(hasF16 ? 'fp16' : 'fp32');
    await expect(page.getByTestId('precision-select')).toHaveValue('auto');
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    // The demo model's files come from our origin; the lab worker's onnxruntime wasm too.
    expect(lab.requests.some((url) => url.includes('/models/stories260K/'))).toBe(true);
    expect(lab.requests.some((url) => url.includes('/ort/') && url.endsWith('.wasm'))).toBe(true);
    await expect(page.getByTestId('load-status')).toHaveText('Now loaded: stories260K (bundled demo).');
    await saveScreenshot(page, '01-model-loaded');

    // Convert without pruning: the loaded model as a transformers.js folder, one compressed .zip.
    await page.getByTestId('loaded-export').locator('summary').click();
    await page.getByTestId('loaded-export-format').selectOption('transformers.js');
    const zip = await readDownload(page, () => page.getByTestId('loaded-export-zip').click());
    const files = await unzip(zip.bytes);
    for (const path of ['config.json', 'tokenizer.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx', 'README.md']) expect([...files.keys()]).toContain(path);
    const unzippedBytes = [...files.values()].reduce((sum, bytes) => sum + bytes.length, 0);
    expect(zip.bytes.length, 'the zip is compressed').toBeLessThan(unzippedBytes);
    await expect(page.getByTestId('loaded-export-status')).toHaveAttribute('data-status', 'done');
  });

  test('perplexity on 4 windows of 256 matches the engine in Node within 1e-3; a cancelled evaluation leaves a working lab', async ({ page, lab: _demo }) => {
    await runEvaluation(page, { maxWindows: '4' });
    const browserPpl = Number(await page.getByTestId('eval-ppl').getAttribute('data-value'));
    await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '4');
    await expect(page.getByTestId('eval-windows')).toContainText('4 of');
    await saveScreenshot(page, '02-perplexity');
    const nodePpl = await nodePerplexity(4, 256);
    expect(Number.isFinite(browserPpl)).toBe(true);
    expect(browserPpl).toBeGreaterThan(1);
    expect(Math.abs(browserPpl - nodePpl) / nodePpl).toBeLessThan(1e-3);

    // Same page (a page load is the suite's largest cost): an evaluation cancelled midway leaves a working lab.
    await test.step('cancelling an evaluation midway leaves a working lab', async () => {
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
  });

  test('greedy generation continues the story; a speed run shows prefill and decode numbers', async ({ page, lab: _demo }) => {
    await page.getByTestId('gen-prompt').fill('Once upon a time');
    await page.getByTestId('gen-run').click();
    await expect(page.getByTestId('gen-status')).toHaveAttribute('data-status', 'done');
    await expect(page.getByTestId('gen-output')).toHaveText(/^Once upon a time, there was a little girl named Lily/);
    await saveScreenshot(page, '03-generate');

    // The decode cache lives in fixed-capacity device buffers written in place (runtime/kv-cache): a generation
    // three times as long allocates no more GPU memory. (The growing Concat cache, ?kvCache=growing, left
    // 0.84 MB more buffers alive after 200 tokens than after 40 when measured.)
    const worker = page.workers().find((w) => w.url().includes('lab.worker'));
    expect(worker, 'the lab worker').toBeDefined();
    const liveGpuBytes = () => worker!.evaluate(() => (self as unknown as { prunelabGpu: { bufferStats(): { liveBytes: number } } }).prunelabGpu.bufferStats().liveBytes);
    await expect(page.getByTestId('backend-name')).toHaveText(/WebGPU/);
    const before = await liveGpuBytes();
    expect(before).toBeGreaterThan(0);
    await page.getByTestId('gen-max-tokens').fill('120');
    await page.getByTestId('gen-run').click();
    await expect(page.getByTestId('gen-status')).toHaveAttribute('data-status', 'done');
    await expect(page.getByTestId('gen-output')).toHaveText(/^Once upon a time, there was a little girl named Lily/);
    expect(await liveGpuBytes(), 'GPU bytes alive after 120 new tokens vs after 40').toBe(before);

    // Then a speed run, in the same page (a page load per test is the suite's largest cost).
    await page.getByTestId('bench-prompt-tokens').fill('32');
    await page.getByTestId('bench-gen-tokens').fill('16');
    await page.getByTestId('bench-runs').fill('2');
    await page.getByTestId('bench-run').click();
    await expect(page.getByTestId('bench-status')).toHaveAttribute('data-status', 'done');
    const ids = ['bench-prefill-ms', 'bench-prefill-tps', 'bench-decode-ms', 'bench-decode-tps'];
    for (const id of ids) await expect(page.getByTestId(id)).toHaveCount(1);
    for (const id of ids) {
      const value = Number(await page.getByTestId(id).getAttribute('data-value'));
      expect(value, id).toBeGreaterThan(0);
    }
    await saveScreenshot(page, '04-speed');

    // "Benchmark this model on my GPU", same page, small settings: decode against context up to 256 tokens, the
    // bandwidth and bound (WebGPU), the measurement saved in the list and in Export JSON.
    await test.step('GPU benchmark: decode against context, bandwidth, saved and exported', async () => {
      await page.getByTestId('gpu-bench-prompt-tokens').fill('32');
      await page.getByTestId('gpu-bench-gen-tokens').fill('4');
      await page.getByTestId('gpu-bench-runs').fill('2');
      await page.getByTestId('gpu-bench-up-to').fill('256');
      await expect(page.getByTestId('speed-saved-row')).toHaveCount(0);
      await page.getByTestId('gpu-bench-run').click();
      await expect(page.getByTestId('gpu-bench-status')).toHaveAttribute('data-status', 'done');
      const chart = page.getByTestId('gpu-bench-chart');
      const contexts = ((await chart.getAttribute('data-contexts')) ?? '').split(',').map(Number);
      const msPerToken = ((await chart.getAttribute('data-ms-per-token')) ?? '').split(',').map(Number);
      expect(contexts.length).toBeGreaterThanOrEqual(8);
      expect(msPerToken).toHaveLength(contexts.length);
      expect(contexts[0]).toBe(16);
      expect(contexts.at(-1)).toBe(256);
      for (let i = 1; i < contexts.length; i++) expect(contexts[i], `context ${i}`).toBeGreaterThan(contexts[i - 1]);
      for (const ms of msPerToken) expect(Number.isFinite(ms) && ms > 0, `ms/token ${ms}`).toBe(true);
      await expect(page.getByTestId('gpu-bench-sweep-row')).toHaveCount(contexts.length);
      expect(Number(await page.getByTestId('gpu-bench-decode-tps').getAttribute('data-value'))).toBeGreaterThan(0);
      expect(Number(await page.getByTestId('gpu-bench-bandwidth').getAttribute('data-value'))).toBeGreaterThan(0);
      expect(Number(await page.getByTestId('gpu-bench-decode-fraction').getAttribute('data-value'))).toBeGreaterThan(0);
      expect(Number(await page.getByTestId('gpu-bench-peak').getAttribute('data-value'))).toBeGreaterThan(0);
      await expect(page.getByTestId('gpu-bench-adapter')).not.toBeEmpty();
      const adapter = (await page.getByTestId('adapter').textContent()) ?? '';
      if (/swiftshader/i.test(adapter)) await expect(page.getByTestId('gpu-bench-software-note')).toContainText('say nothing about GPU speed');
      await saveScreenshot(page, '05-gpu-benchmark');

      const row = page.getByTestId('speed-saved-row');
      await expect(row).toHaveCount(1);
      await expect(page.getByTestId('speed-saved')).toHaveAttribute('data-saving', '0');
      const recordId = await row.getAttribute('data-record-id');
      const saved = await readDownload(page, () => page.getByTestId('speed-export-json').click());
      expect(saved.name).toMatch(/^prunelab-gpu-benchmarks-.*\.json$/);
      const records = JSON.parse(saved.bytes.toString('utf8')) as { id: string; which: string; schemaVersion: number; sweep: { contextTokens: number }[] }[];
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ id: recordId, which: 'loaded', schemaVersion: 1 });
      expect(records[0].sweep.map((p) => p.contextTokens)).toEqual(contexts);
    });
  });
});
