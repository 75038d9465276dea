// The Prune panel end to end on the demo model (5 blocks), few and short windows (SwiftShader is slow),
// each test in its own page (the `lab` fixture: demo model loaded; no request left the origin, so paper
// links are never fetched): the method picker and form, drop a block, SLEB with live candidates, Wanda 50%,
// download (after its own quick Magnitude run), cancel midway.

import type { Page } from '@playwright/test';
import { expect, fillQuickPrune, runEvaluation, screensDir, test, unzip } from './helpers';

/** The viewport as the user sees it: the Prune controls beside the current run (two columns from 1200 px). */
async function panelShot(page: Page, name: string): Promise<void> {
  const path = `${screensDir}/${name}.png`;
  await page.screenshot({ path });
  await test.info().attach(name, { path, contentType: 'image/png' });
}

/** The element's top 200 px (or all of it, if shorter) lies inside the viewport. */
async function inView(page: Page, testId: string): Promise<boolean> {
  const box = await page.getByTestId(testId).first().boundingBox();
  const viewport = page.viewportSize()!;
  return box !== null && box.y >= 0 && box.y + Math.min(box.height, 200) <= viewport.height && box.x + box.width <= viewport.width;
}

async function chooseMethod(page: Page, id: string, params: Record<string, string | boolean>): Promise<void> {
  await page.getByTestId(`method-${id}`).check();
  await expect(page.getByTestId('method-params')).toHaveAttribute('data-method', id);
  for (const [name, value] of Object.entries(params)) {
    const control = page.getByTestId(`param-${name}`);
    if (typeof value === 'boolean') await control.setChecked(value);
    else await control.fill(value);
  }
}

async function setSettings(page: Page, s: { windows: string; seqLen: string; evaluate: boolean; speed: boolean }): Promise<void> {
  await page.getByTestId('prune-calibrationWindows').fill(s.windows);
  await page.getByTestId('prune-calibrationSeqLen').fill(s.seqLen);
  await page.getByTestId('prune-evaluate').setChecked(s.evaluate);
  await page.getByTestId('prune-measureSpeed').setChecked(s.speed);
  await page.getByTestId('prune-generate').setChecked(false);
}

async function runPrune(page: Page): Promise<void> {
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}

const value = async (page: Page, testId: string) => Number(await page.getByTestId(testId).getAttribute('data-value'));

test.describe('Prune panel on the demo model', () => {
  test('(a) drop block 2: 4 layers, block 2 marked removed, perplexity before → after, speed with the block note', async ({ page, lab: _demo }) => {
    await chooseMethod(page, 'drop-blocks', { blocks: '2' });
    await setSettings(page, { windows: '4', seqLen: '64', evaluate: true, speed: true });
    await page.getByTestId('prune-evalMaxWindows').fill('2');
    await runPrune(page);
    await expect(page.getByTestId('prune-layers')).toHaveAttribute('data-value', '4');
    await expect(page.getByTestId('prune-layers')).toHaveText('5 → 4');
    await expect(page.locator('[data-testid="block-box"][data-removed="true"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="block-box"][data-block="2"]')).toHaveAttribute('data-removed', 'true');
    const before = await value(page, 'prune-ppl-before');
    const after = await value(page, 'prune-ppl-after');
    expect(before).toBeGreaterThan(1);
    expect(after).toBeGreaterThan(1);
    expect(after).not.toBe(before);
    await expect(page.getByTestId('prune-result')).toContainText('2 × 128 tokens');
    expect(await value(page, 'prune-speed-decode-tps-pruned')).toBeGreaterThan(0);
    await expect(page.getByTestId('prune-speed').getByTestId('speed-note')).toContainText('5 → 4 blocks');
    await panelShot(page, 'prune-02-drop-blocks-result');
  });

  test('(b) SLEB removes 1 block: candidate scores appear live, the result lists the chosen block and the trace', async ({ page, lab: _demo }) => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await chooseMethod(page, 'sleb', { blocks: '1' });
    await setSettings(page, { windows: '4', seqLen: '64', evaluate: false, speed: false });
    // Record, inside the page, the most candidates seen while the run was still running.
    await page.evaluate(() => {
      const w = window as unknown as { liveCandidates: number };
      w.liveCandidates = 0;
      new MutationObserver(() => {
        const running = document.querySelector('[data-testid="prune-status"]')?.getAttribute('data-status') === 'running';
        const n = document.querySelectorAll('[data-testid="sleb-live"] [data-testid="sleb-candidate"]').length;
        if (running) w.liveCandidates = Math.max(w.liveCandidates, n);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByTestId('prune-run').click();
    await expect(page.getByTestId('sleb-live').getByTestId('sleb-candidate').first()).toBeVisible({ timeout: 120_000 }).catch(() => {});
    if ((await page.getByTestId('prune-status').getAttribute('data-status')) === 'running') {
      // At 1400 × 900 the controls and the live chart are seen together: Run in view, the live chart beside it.
      await page.getByTestId('prune-run').scrollIntoViewIfNeeded();
      expect(await inView(page, 'prune-run'), 'Run in view').toBe(true);
      expect(await inView(page, 'sleb-live'), 'the live SLEB chart in view beside Run').toBe(true);
      await panelShot(page, 'prune-03-sleb-live');
    }
    await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
    expect(await page.evaluate(() => (window as unknown as { liveCandidates: number }).liveCandidates)).toBeGreaterThanOrEqual(1);
    const step = page.getByTestId('sleb-trace-step');
    await expect(step).toHaveCount(1);
    const chosen = await step.getAttribute('data-chosen');
    expect(['1', '2', '3']).toContain(chosen); // first and last block are protected
    await expect(page.getByTestId('prune-removed')).toHaveText(chosen!);
    await expect(step.getByTestId('sleb-candidate')).toHaveCount(3);
    const ppls = await step.getByTestId('sleb-candidate').evaluateAll((els) => els.map((e) => [e.getAttribute('data-block'), Number(e.getAttribute('data-value'))] as const));
    const best = ppls.reduce((a, b) => (b[1] < a[1] ? b : a));
    expect(best[0]).toBe(chosen);
    await expect(page.getByTestId('prune-layers')).toHaveAttribute('data-value', '4');
    await page.getByTestId('prune-run').scrollIntoViewIfNeeded();
    expect(await inView(page, 'prune-run'), 'Run in view').toBe(true);
    expect(await inView(page, 'current-run'), 'the run\'s result in view beside Run').toBe(true);
    await panelShot(page, 'prune-04-sleb-result');
  });

  test('(c) the methods by kind with summaries and paper links and a form built from params; Wanda 0.5: overall sparsity 0.5000, the no-speed-up note next to speed', async ({ page, lab: _demo }) => {
    // The method picker and the form built from the method's params (same page as the run below).
    await expect(page.getByTestId('method-group-blocks')).toContainText('Remove blocks (real speed-up)');
    await expect(page.getByTestId('method-group-sparsity')).toContainText('no speed-up on dense kernels');
    await expect(page.getByTestId('method-group-blocks').getByTestId('method-sleb')).toBeVisible();
    await expect(page.getByTestId('method-group-sparsity').getByTestId('method-wanda')).toBeVisible();
    await chooseMethod(page, 'sleb', {});
    const paper = page.getByTestId('method-paper-sleb');
    await expect(paper).toHaveAttribute('target', '_blank');
    await expect(paper).toHaveAttribute('rel', 'noreferrer');
    await expect(paper).toHaveAttribute('href', /^https:\/\//);
    await chooseMethod(page, 'wanda', {});
    const sparsity = page.getByTestId('param-sparsity');
    await expect(sparsity).toHaveAttribute('max', '0.99');
    await expect(sparsity).toHaveAccessibleDescription(/Fraction 0\.\.1/);
    await sparsity.fill('1.5');
    await expect(page.getByTestId('param-error-sparsity')).toContainText('between 0 and 0.99');
    await expect(page.getByTestId('prune-run')).toBeDisabled();
    await sparsity.fill('0.5');
    await expect(page.getByTestId('prune-run')).toBeEnabled();
    await panelShot(page, 'prune-01-before-run');
    await chooseMethod(page, 'wanda', { sparsity: '0.5' });
    await setSettings(page, { windows: '4', seqLen: '64', evaluate: false, speed: true });
    await runPrune(page);
    await expect(page.getByTestId('prune-overall-sparsity')).toHaveText('0.5000');
    expect(Math.abs((await value(page, 'prune-overall-sparsity')) - 0.5)).toBeLessThan(1e-3);
    await expect(page.getByTestId('prune-layers')).toHaveText('5 → 5');
    await expect(page.locator('[data-testid="block-box"][data-removed="false"]')).toHaveCount(5);
    await expect(page.getByTestId('prune-speed').getByTestId('speed-note')).toContainText('no speed-up');
    await panelShot(page, 'prune-05-wanda-result');
  });

  test('(e) download: the pruned model\'s files reach a picked folder, and downloads without a picker', async ({ page, lab: _demo }) => {
    // A pruned model to download: Magnitude 0.5 (data-free, no evaluation), made in this test's page.
    await fillQuickPrune(page, { methodId: 'magnitude', params: { sparsity: '0.5' }, evaluation: false });
    await runPrune(page);
    expect(Math.abs((await value(page, 'prune-overall-sparsity')) - 0.5)).toBeLessThan(1e-3); // Magnitude lands on 0.5002
    // A folder picker that records what is written (Playwright cannot drive the real one).
    await page.evaluate(() => {
      const written: Record<string, number> = {};
      const dir = (prefix: string): unknown => ({
        getDirectoryHandle: async (name: string) => dir(`${prefix}${name}/`),
        getFileHandle: async (name: string) => ({
          createWritable: async () => ({ write: async (blob: Blob) => void (written[prefix + name] = blob.size), close: async () => {} }),
        }),
      });
      Object.assign(window, { written, showDirectoryPicker: async () => dir('') });
    });
    await page.getByTestId('prune-download').click();
    const status = page.getByTestId('export-status');
    await expect(status).toHaveAttribute('data-status', 'done');
    const listed = Object.fromEntries(((await status.getAttribute('data-files')) ?? '').split(';').map((e) => e.split(':')).map(([p, b]) => [p, Number(b)]));
    expect(Object.keys(listed)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    expect(listed['model.safetensors']).toBeGreaterThan(100_000);
    expect(await page.evaluate(() => (window as unknown as { written: Record<string, number> }).written)).toEqual(listed);

    // The transformers.js folder: ONNX graphs under onnx/, written into sub-folders of the picked one.
    await page.getByTestId('export-format').selectOption('transformers.js');
    await page.getByTestId('prune-download').click();
    await expect(status).toHaveAttribute('data-files', /onnx\/model_q4\.onnx/);
    const onnxListed = ((await status.getAttribute('data-files')) ?? '').split(';').map((e) => e.split(':')[0]);
    expect(onnxListed).toEqual(expect.arrayContaining(['config.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx']));
    const written = await page.evaluate(() => (window as unknown as { written: Record<string, number> }).written);
    for (const p of ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx']) expect(written[p]).toBeGreaterThan(10_000);
    await page.getByTestId('export-format').selectOption('safetensors');

    await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
    // Without a folder picker the export arrives as ONE zip (stored entries, built from the files' Blobs).
    const downloads: { name: string; bytes: Buffer }[] = [];
    page.on('download', (download) => {
      void download.createReadStream().then(async (stream) => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        downloads.push({ name: download.suggestedFilename(), bytes: Buffer.concat(chunks) });
      });
    });
    await page.getByTestId('prune-download').click();
    await expect(status).toContainText('as one compressed download, pruned-model.zip');
    await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(1);
    expect(downloads[0].name).toBe('pruned-model.zip');
    const entries = await unzip(downloads[0].bytes);
    expect(entries.size).toBe(Object.keys(listed).length);
    expect(Object.fromEntries([...entries].map(([name, bytes]) => [name, bytes.length]))).toEqual(listed);
  });

  test('(d) cancelling a run midway leaves a working lab', async ({ page, lab: _demo }) => {
    await chooseMethod(page, 'wanda', { sparsity: '0.5' });
    await setSettings(page, { windows: '16', seqLen: '128', evaluate: true, speed: true });
    await page.getByTestId('prune-run').click();
    await expect(page.getByTestId('prune-status')).toHaveAttribute('data-phase', 'planning', { timeout: 120_000 });
    // In the page: when Cancel was clicked, when "Cancelling…" first showed, and whether the run was still running then.
    await page.evaluate(() => {
      const w = window as unknown as { cancelTiming: { clickAt: number; shownAt: number; runningWhenShown: boolean } };
      w.cancelTiming = { clickAt: 0, shownAt: 0, runningWhenShown: false };
      document.querySelector('[data-testid="prune-cancel"]')!.addEventListener('click', () => (w.cancelTiming.clickAt = performance.now()), { capture: true });
      new MutationObserver(() => {
        if (w.cancelTiming.shownAt === 0 && document.querySelector('[data-testid="prune-cancelling"]')) {
          w.cancelTiming.shownAt = performance.now();
          w.cancelTiming.runningWhenShown = document.querySelector('[data-testid="prune-status"]')?.getAttribute('data-status') === 'running';
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('prune-cancel').click();
    await expect(page.getByTestId('prune-cancel')).toHaveText('Cancelling…');
    await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'cancelled');
    const timing = await page.evaluate(() => (window as unknown as { cancelTiming: { clickAt: number; shownAt: number; runningWhenShown: boolean } }).cancelTiming);
    // Acknowledged while the run was still running (the next render after the click), not when it stopped.
    expect(timing.shownAt, '"Cancelling…" was shown').toBeGreaterThan(0);
    expect(timing.runningWhenShown, '"Cancelling…" showed before the run stopped').toBe(true);
    console.log(`cancel acknowledged ${(timing.shownAt - timing.clickAt).toFixed(0)} ms after the click (in-page clock; not asserted)`);
    await expect(page.getByTestId('prune-status')).toContainText('Cancelled');
    await expect(page.getByTestId('error-alert')).toHaveCount(0);
    await expect(page.getByTestId('prune-result')).toHaveCount(0);
    await runEvaluation(page, { maxWindows: '1', seqLen: '64' });
    await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '1');
  });

});
