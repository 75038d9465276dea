// The comparison on the demo model, started from a shared link: the URL sets a sweep of
// Magnitude and ShortGPT at ratios 0.2 and 0.4 with tiny settings (1 × 64 calibration and evaluation,
// speed 8 + 4 tokens, 4 generated tokens). A long SLEB run is queued first and cancelled while it runs
// (its calibration text is held back until the cancel, so it is certainly running);
// the 4 sweep runs finish; the table and every chart fill in, the best run per ratio marked; a tab crash
// (CDP Page.crash, once the runs are saved) keeps the runs and the experiment in a new tab; a stored record
// of a newer schema version is hidden with a notice (and kept, also by "Clear runs"), an unreadable one is
// discarded with a notice; a stored run exported after the crash has the same model.safetensors
// bytes as the export right after it ran; the CSV has a header + 4 rows; Baseline, Re-run (marked as a
// duplicate) and Delete act on rows; "Clear runs" empties the table, also after a reload.

import { expect, test, type Page } from '@playwright/test';
import { holdRequests, openLab, readDownload as readBytes, screensDir, unzip } from './helpers';

/** model.safetensors of a .zip the page downloads when `click` runs (no folder picker: the zip path). */
async function downloadedWeights(page: Page, click: () => Promise<void>): Promise<Buffer> {
  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  const zip = await readBytes(page, click);
  expect(zip.name).toBe('pruned-model.zip');
  const weights = (await unzip(zip.bytes)).get('model.safetensors');
  expect(weights, 'model.safetensors in the zip').toBeDefined();
  return weights!;
}

const experiment = new URLSearchParams({
  method: 'sleb',
  'sweep.methods': 'magnitude,shortgpt',
  'sweep.ratios': '0.2, 0.4',
  calibrationWindows: '1',
  calibrationSeqLen: '64',
  evalMaxWindows: '1',
  evalSeqLen: '64',
  speedPromptTokens: '8',
  speedGenTokens: '4',
  speedRuns: '1',
  generateTokens: '4',
});

async function readDownload(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}

test('a sweep of two methods at two ratios fills the table and charts, survives a tab crash, exports as CSV; a cancelled run leaves the others intact', async ({ page: firstPage }) => {
  let page = firstPage;
  await openLab(page, `/?${experiment}`);
  let rows = page.getByTestId('run-row');
  const items = page.getByTestId('queue-item');
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-status', 'done');
  await expect(rows).toHaveCount(0);

  // The link set the experiment: method, settings and sweep.
  await expect(page.getByTestId('method-params')).toHaveAttribute('data-method', 'sleb');
  await expect(page.getByTestId('prune-calibrationWindows')).toHaveValue('1');
  await expect(page.getByTestId('prune-speedRuns')).toHaveValue('1');
  await page.getByTestId('sweep').locator('summary').click();
  await expect(page.getByTestId('sweep-methods-magnitude')).toBeChecked();
  await expect(page.getByTestId('sweep-methods-shortgpt')).toBeChecked();
  await expect(page.getByTestId('sweep-methods-wanda')).not.toBeChecked();
  await expect(page.getByTestId('sweep-count')).toHaveAttribute('data-value', '4');

  // A long SLEB run (40 speed runs) first; the URL follows the form. Its calibration text is held until
  // the test lets it through, so the run is still running (fetching it) when it is cancelled, however fast
  // the machine: the cancel always hits a running run, never a finished one.
  const calibrationText = await holdRequests(page, '**/data/tinystories-valid-sample.txt');
  await page.getByTestId('prune-speedRuns').fill('40');
  await expect.poll(() => new URL(page.url()).searchParams.get('speedRuns')).toBe('40');
  await page.getByTestId('prune-run').click();
  await expect(items).toHaveCount(1);
  await page.getByTestId('prune-speedRuns').fill('1');
  await expect.poll(() => new URL(page.url()).searchParams.get('speedRuns')).toBe('1');
  await page.getByTestId('sweep-add').click();
  await expect(items).toHaveCount(5);
  const long = items.nth(0);
  await expect(long).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect.poll(calibrationText.held, { timeout: 60_000 }).toBe(1);
  await expect(long.getByTestId('queue-phase')).toHaveText(/^(Starting…|Preparing calibration data)$/);
  await expect(page.locator('[data-testid="queue-item"][data-status="queued"]')).toHaveCount(4);
  await page.getByTestId('prune-panel').screenshot({ path: `${screensDir}/compare-01-queue.png` });
  await long.getByTestId('queue-cancel').click();
  calibrationText.release();
  await expect(long).toHaveAttribute('data-status', 'cancelled');

  await expect(page.locator('[data-testid="queue-item"][data-status="done"]')).toHaveCount(4, { timeout: 240_000 });
  await expect(long).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
  await expect(rows).toHaveCount(4);
  expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-method')))).toEqual(['magnitude', 'magnitude', 'shortgpt', 'shortgpt']);
  await expect(rows.nth(2).getByTestId('run-layers')).toHaveText('5 → 4');
  await expect(rows.nth(3).getByTestId('run-layers')).toHaveText('5 → 3');
  await expect(rows.nth(3).getByTestId('run-ratio')).toHaveAttribute('data-value', '0.4');
  for (let i = 0; i < 4; i++) expect(Number(await rows.nth(i).getByTestId('run-ppl').getAttribute('data-after'))).toBeGreaterThan(1);

  // Magnitude and ShortGPT meet at ratios 0.2 and 0.4 (1 and 2 of 5 blocks): one best run per ratio.
  await expect(page.getByTestId('run-best')).toHaveCount(2);
  // The last run (ShortGPT 0.4) is the lab's pruned model: its export right after the run.
  const rightAfter = await downloadedWeights(page, () => page.getByTestId('prune-download').click());

  // Every view has all four runs.
  await expect(page.getByTestId('runs-chart')).toHaveAttribute('data-series', '2');
  await expect(page.getByTestId('runs-chart')).toHaveAttribute('data-points', '4');
  await expect(page.getByTestId('runs-speed-chart')).toHaveAttribute('data-points', '4');
  await expect(page.getByTestId('runs-frontier-chart')).toHaveAttribute('data-points', '4');
  await expect(page.getByTestId('runs-heatmap').getByTestId('heat-row')).toHaveCount(4);
  await expect(page.getByTestId('run-diagram')).toHaveCount(4);
  await expect(page.getByTestId('run-generation')).toHaveCount(4);
  await page.getByTestId('runs-panel').screenshot({ path: `${screensDir}/compare-02-runs.png` });

  // Sorting by Δ perplexity descending puts a worse run first.
  await page.getByTestId('runs-sort-delta').click();
  await page.getByTestId('runs-sort-delta').click();
  const deltas = await rows.evaluateAll((els) => els.map((e) => {
    const cell = e.querySelector('[data-testid="run-ppl"]');
    return Number(cell?.getAttribute('data-after')) - Number(cell?.getAttribute('data-before'));
  }));
  expect(deltas).toEqual([...deltas].sort((a, b) => b - a));

  // Two records another build left in IndexedDB: one of a newer schema version, one that does not read as a run.
  await page.evaluate(async () => {
    const open = indexedDB.open('prunelab');
    const db = await new Promise<IDBDatabase>((resolve, reject) => Object.assign(open, { onsuccess: () => resolve(open.result), onerror: reject }));
    const tx = db.transaction('runs', 'readwrite');
    const store = tx.objectStore('runs');
    const all = store.getAll();
    all.onsuccess = () => {
      store.put({ schemaVersion: 99, id: 'from-a-newer-prunelab', finishedAtMs: 1, shape: 'unknown to this build' });
      store.put({ ...(all.result[0] as object), id: 'unreadable', pplAfter: 'nine' });
    };
    await new Promise((resolve, reject) => Object.assign(tx, { oncomplete: resolve, onabort: reject }));
    db.close();
  });

  // The tab crashes once the runs are saved (every write committed); a new tab of the same browser has them.
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-saving', '0');
  const crashedUrl = page.url();
  const cdp = await page.context().newCDPSession(page);
  const crashed = page.waitForEvent('crash');
  void cdp.send('Page.crash').catch(() => {});
  await crashed;
  page = await firstPage.context().newPage();
  rows = page.getByTestId('run-row');
  await openLab(page, crashedUrl);
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-status', 'done');
  await expect(rows).toHaveCount(4);
  await expect(page.getByTestId('runs-notice')).toHaveText(
    /^1 stored run was saved by a newer version of Prunelab and is hidden .* 1 stored run could not be read and was discarded \(field pplAfter\)\./,
  );
  await page.getByTestId('runs-notice-dismiss').click();
  await expect(page.getByTestId('runs-notice')).toHaveCount(0);
  await expect(rows.nth(0)).toHaveAttribute('data-other-model', 'false'); // same weights hash
  await expect(page.getByTestId('runs-chart')).toHaveAttribute('data-points', '4');
  expect(new URL(page.url()).searchParams.get('sweep.methods')).toBe('magnitude,shortgpt');
  await page.getByTestId('sweep').locator('summary').click();
  await expect(page.getByTestId('sweep-count')).toHaveAttribute('data-value', '4');
  // The same run exported from the table after the crash: its stored plan re-applied, the same bytes.
  await expect(rows.nth(3)).toHaveAttribute('data-method', 'shortgpt');
  const afterReload = await downloadedWeights(page, () => rows.nth(3).getByTestId('run-export-zip').click());
  expect(afterReload.equals(rightAfter), 'model.safetensors after a tab crash = right after the run').toBe(true);
  await expect(rows.nth(3).getByTestId('run-export-status')).toHaveAttribute('data-status', 'done');

  const csv = await readDownload(page, () => page.getByTestId('runs-export-csv').click());
  expect(csv.name).toMatch(/\.csv$/);
  const lines = csv.text.split('\r\n').filter((line) => line !== '');
  expect(lines).toHaveLength(5);
  expect(lines[0].split(',')).toEqual(expect.arrayContaining(['method_id', 'ppl_before', 'ppl_after', 'layers_after']));
  expect(lines.filter((line) => line.includes('shortgpt'))).toHaveLength(2);
  const json = await readDownload(page, () => page.getByTestId('runs-export-json').click());
  const parsed = JSON.parse(json.text) as { methodId: string; removedBlocks: number[] }[];
  expect(parsed.map((r) => r.methodId)).toEqual(['magnitude', 'magnitude', 'shortgpt', 'shortgpt']);
  expect(parsed.map((r) => r.removedBlocks.length)).toEqual([0, 0, 1, 2]);

  // Baseline, Re-run (the repeat is marked), Delete.
  await rows.nth(0).getByTestId('run-pin').click();
  await expect(rows.nth(0).getByTestId('run-baseline')).toBeVisible();
  await expect(page.getByTestId('run-vs-baseline')).toHaveCount(3);
  await rows.nth(2).getByTestId('run-rerun').click();
  await expect(rows).toHaveCount(5, { timeout: 240_000 });
  await expect(rows.nth(4).getByTestId('run-duplicate')).toHaveText(/same as #3/);
  await rows.nth(4).getByTestId('run-delete').click();
  await expect(rows).toHaveCount(4);
  await page.getByTestId('runs-panel').screenshot({ path: `${screensDir}/compare-03-actions.png` });

  await page.getByTestId('runs-clear').click();
  await expect(rows).toHaveCount(0);
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(rows).toHaveCount(0);
  // The newer build's record was not cleared: still hidden, still said.
  await expect(page.getByTestId('runs-notice')).toHaveText(/^1 stored run was saved by a newer version of Prunelab/);
  await expect(page.getByTestId('runs-notice')).not.toContainText('discarded');
});
