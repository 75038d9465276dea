// The Runs panel on the demo model: two drop-blocks runs (tiny settings: no speed, 1 × 64 held-out
// tokens) → two rows and a chart; a reload brings them back from IndexedDB; CSV has a header + 2 rows;
// "Clear runs" empties the table, also after another reload.

import { expect, test, type Page } from '@playwright/test';
import { openLab, screensDir } from './helpers';

async function dropBlocks(page: Page, blocks: string): Promise<void> {
  await page.getByTestId('method-drop-blocks').check();
  await expect(page.getByTestId('method-params')).toHaveAttribute('data-method', 'drop-blocks');
  await page.getByTestId('param-blocks').fill(blocks);
  await page.getByTestId('prune-calibrationWindows').fill('1');
  await page.getByTestId('prune-calibrationSeqLen').fill('64');
  await page.getByTestId('prune-evaluate').setChecked(true);
  await page.getByTestId('prune-evalMaxWindows').fill('1');
  await page.getByTestId('prune-evalSeqLen').fill('64');
  await page.getByTestId('prune-measureSpeed').setChecked(false);
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}

async function readDownload(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}

test('runs are kept side by side, survive a reload, export as CSV / JSON and clear', async ({ page }) => {
  await openLab(page);
  const rows = page.getByTestId('run-row');
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-status', 'done');
  await expect(rows).toHaveCount(0);

  await dropBlocks(page, '2');
  await expect(rows).toHaveCount(1);
  await dropBlocks(page, '1,3');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByTestId('run-layers')).toHaveText('5 → 4');
  await expect(rows.nth(1).getByTestId('run-layers')).toHaveText('5 → 3');
  await expect(rows.nth(1).getByTestId('run-ratio')).toHaveAttribute('data-value', '0.4');
  expect(Number(await rows.nth(1).getByTestId('run-ppl').getAttribute('data-after'))).toBeGreaterThan(1);
  await expect(page.getByTestId('runs-chart')).toHaveAttribute('data-points', '2');
  await expect(page.getByTestId('runs-chart')).toHaveAttribute('data-series', '1');
  await expect(page.getByTestId('runs-chart')).toHaveAccessibleDescription(/runs behind the chart/);
  await page.getByTestId('runs-panel').screenshot({ path: `${screensDir}/compare-01-two-runs.png` });

  // Sorting by Δ perplexity descending puts the worse run (two blocks removed) first.
  await page.getByTestId('runs-sort-delta').click();
  await page.getByTestId('runs-sort-delta').click();
  await expect(rows.nth(0).getByTestId('run-layers')).toHaveText('5 → 3');

  await page.reload();
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute('data-other-model', 'false');

  const csv = await readDownload(page, () => page.getByTestId('runs-export-csv').click());
  expect(csv.name).toMatch(/\.csv$/);
  const lines = csv.text.split('\r\n').filter((line) => line !== '');
  expect(lines).toHaveLength(3);
  expect(lines[0].split(',')).toEqual(expect.arrayContaining(['method_id', 'ppl_before', 'ppl_after', 'layers_after']));
  expect(lines[1]).toContain('drop-blocks');
  const json = await readDownload(page, () => page.getByTestId('runs-export-json').click());
  const parsed = JSON.parse(json.text) as { removedBlocks: number[] }[];
  expect(parsed.map((r) => r.removedBlocks)).toEqual([[2], [1, 3]]);

  await page.getByTestId('runs-clear').click();
  await expect(rows).toHaveCount(0);
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(rows).toHaveCount(0);
});
