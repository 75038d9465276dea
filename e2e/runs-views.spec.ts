// The Runs panel's side-by-side views on the demo model: a drop-blocks run and a magnitude run (tiny
// settings, speed and generation on) fill the speed chart, the frontier, the heat map, the block diagrams
// and the generated texts; a PNG export starts with the PNG signature, the SVG exports parse.

import { expect, test, type Page } from '@playwright/test';
import { openLab, screensDir } from './helpers';

async function runMethod(page: Page, method: string, param: [string, string]): Promise<void> {
  await page.getByTestId(`method-${method}`).check();
  await expect(page.getByTestId('method-params')).toHaveAttribute('data-method', method);
  await page.getByTestId(`param-${param[0]}`).fill(param[1]);
  await page.getByTestId('prune-calibrationWindows').fill('1');
  await page.getByTestId('prune-calibrationSeqLen').fill('64');
  await page.getByTestId('prune-evaluate').setChecked(true);
  await page.getByTestId('prune-evalMaxWindows').fill('1');
  await page.getByTestId('prune-evalSeqLen').fill('64');
  await page.getByTestId('prune-measureSpeed').setChecked(true);
  await page.getByTestId('prune-speedPromptTokens').fill('8');
  await page.getByTestId('prune-speedGenTokens').fill('4');
  await page.getByTestId('prune-speedRuns').fill('1');
  await page.getByTestId('prune-generate').setChecked(true);
  await page.getByTestId('prune-generateTokens').fill('8');
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const chunks: Buffer[] = [];
  for await (const chunk of await file.createReadStream()) chunks.push(chunk as Buffer);
  return { name: file.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/** Parses an SVG text with the browser's XML parser: the root's name and the count of elements of a tag. */
async function parseSvg(page: Page, text: string, tag: string): Promise<{ root: string; error: boolean; count: number }> {
  return page.evaluate(
    ([svg, name]) => {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      return { root: doc.documentElement.nodeName, error: doc.getElementsByTagName('parsererror').length > 0, count: doc.getElementsByTagName(name).length };
    },
    [text, tag] as const,
  );
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

test('the runs views fill in from two runs and export as PNG / SVG', async ({ page }) => {
  await openLab(page);
  await expect(page.getByTestId('runs-panel')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('run-row')).toHaveCount(0); // the test's own context: no stored runs

  await runMethod(page, 'drop-blocks', ['blocks', '2']);
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  // The views follow the runs list as it grows.
  await expect(page.getByTestId('runs-speed-chart')).toHaveAttribute('data-points', '1');
  await runMethod(page, 'magnitude', ['sparsity', '0.5']);
  await expect(page.getByTestId('run-row')).toHaveCount(2);

  const rows = page.getByTestId('run-row');
  // Magnitude is data-free: no calibration windows, and the cell says so.
  await expect(rows.nth(1).getByTestId('run-calibration')).toHaveAttribute('data-windows', '0');
  await expect(rows.nth(1).getByTestId('run-calibration')).toContainText('none');
  expect(Number(await rows.nth(0).getByTestId('run-prefill').getAttribute('data-pruned'))).toBeGreaterThan(0);
  expect(Number(await rows.nth(0).getByTestId('run-size').getAttribute('data-value'))).toBeGreaterThan(0);

  await expect(page.getByTestId('runs-chart')).toHaveAttribute('data-points', '2');
  await expect(page.getByTestId('runs-chart')).toHaveAccessibleDescription(/runs behind the chart/);
  await expect(page.getByTestId('runs-speed-chart')).toHaveAttribute('data-points', '2');
  await expect(page.getByTestId('runs-speed-decode').locator('canvas')).toHaveCount(1);
  const frontier = page.getByTestId('runs-frontier-chart');
  await expect(frontier).toHaveAttribute('data-points', '2');
  await expect(frontier).toHaveAttribute('data-dense-points', '2');
  await expect(frontier).toHaveAttribute('data-series', '2');
  await expect(frontier.getByRole('img')).toHaveAccessibleName(/Perplexity after pruning vs decode tokens/);
  await expect(frontier).toContainText('dense speed');

  // Heat map: 2 runs × 5 blocks × 7 linears; drop-blocks' block 2 removed, magnitude's cells ≈ 0.5.
  const heatmap = page.getByTestId('runs-heatmap');
  await expect(heatmap.getByTestId('heat-row')).toHaveCount(2);
  await expect(heatmap.getByTestId('heat-cell')).toHaveCount(70);
  await expect(heatmap.getByTestId('heat-row').nth(0).locator('[data-source="removed"]')).toHaveCount(7);
  const magnitude = await heatmap.getByTestId('heat-row').nth(1).getByTestId('heat-cell').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))));
  expect(magnitude).toHaveLength(35);
  for (const value of magnitude) expect(value).toBeCloseTo(0.5, 1);

  const diagrams = page.getByTestId('run-diagram');
  await expect(diagrams).toHaveCount(2);
  await expect(diagrams.nth(0)).toHaveAttribute('data-removed', '2');
  await expect(diagrams.nth(0).locator('[data-testid="run-block"][data-removed="true"]')).toHaveCount(1);

  const generations = page.getByTestId('run-generation');
  await expect(generations).toHaveCount(2);
  for (const which of ['run-generation-dense', 'run-generation-pruned']) {
    const text = (await generations.nth(0).getByTestId(which).textContent()) ?? '';
    expect(text.length).toBeGreaterThan(4);
  }

  await page.getByTestId('runs-views').scrollIntoViewIfNeeded();
  await page.getByTestId('runs-panel').screenshot({ path: `${screensDir}/runs-views-01-panel.png` });
  await page.getByTestId('runs-views').screenshot({ path: `${screensDir}/runs-views-02-grid.png` });

  const png = await download(page, () => page.locator('[data-testid="chart-export-png"][data-chart="frontier"]').click());
  expect(png.name).toMatch(/\.png$/);
  expect([...png.bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const speedPng = await download(page, () => page.locator('[data-testid="chart-export-png"][data-chart="speed"]').click());
  expect([...speedPng.bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const heatPng = await download(page, () => page.locator('[data-testid="chart-export-png"][data-chart="sparsity-heatmap"]').click());
  expect([...heatPng.bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);

  const heatSvg = await download(page, () => page.getByRole('button', { name: 'Download Per-layer sparsity chart as SVG' }).click());
  const heat = await parseSvg(page, heatSvg.bytes.toString('utf8'), 'rect');
  expect(heat).toEqual({ root: 'svg', error: false, count: 71 }); // background + 70 cells
  const frontierSvg = await download(page, () => page.locator('[data-testid="chart-export-svg"][data-chart="frontier"]').click());
  const parsed = await parseSvg(page, frontierSvg.bytes.toString('utf8'), 'image');
  expect(parsed).toEqual({ root: 'svg', error: false, count: 1 });
});
