// The compression-law experiment in the tab (the lab worker on WebGPU; SwiftShader here): ShortGPT at three
// ratios, points arriving live, the fitted law with R², CSV and JSON downloads; a longer grid stopped
// after two points keeps and fits them.

import { expect, readDownload, test } from './helpers';

test('a small law experiment: live points, the fit, CSV / JSON downloads; Stop keeps the points so far', async ({ page, lab: _demo }) => {
  test.setTimeout(480_000);
  await page.getByTestId('law-method').selectOption('shortgpt');
  await page.getByTestId('law-ratios').fill('0, 0.2, 0.4');
  await page.getByTestId('law-max-windows').fill('2');
  await page.getByTestId('law-threshold').fill('6');
  await page.getByTestId('law-run').click();
  const status = page.getByTestId('law-status');
  await expect(status).toHaveAttribute('data-points', '1', { timeout: 180_000 }); // live: the first point before the end
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('law-point')).toHaveCount(3);
  await expect(page.getByTestId('law-chart')).toHaveAttribute('data-fitted', 'true');
  const r2 = Number(await page.getByTestId('law-fit').getAttribute('data-r2'));
  expect(r2).toBeLessThanOrEqual(1);
  await expect(page.getByTestId('law-verdict')).toContainText(/fit|few points/);
  await expect(page.getByTestId('law-critical')).toContainText('Critical compression at loss 6');

  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  const csv = (await readDownload(page, () => page.getByTestId('law-csv').click())).bytes.toString('utf8').trim().split('\r\n');
  expect(csv).toHaveLength(4);
  expect(csv[0]).toContain('compression');
  const json = JSON.parse((await readDownload(page, () => page.getByTestId('law-json').click())).bytes.toString('utf8'));
  expect(json.points).toHaveLength(3);
  expect(json.loss.noIntercept.coefficients.map((c: { name: string }) => c.name)).toEqual(['alpha', 'beta', 'gamma']);

  // A longer grid, stopped after two points: they are kept and fitted.
  await page.getByTestId('law-ratios').fill('0, 0.2, 0.4, 0.6');
  await page.getByTestId('law-run').click();
  await expect(status).toHaveAttribute('data-points', '2', { timeout: 240_000 });
  await page.getByTestId('law-cancel').click();
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(status).toContainText('stopped');
  const kept = Number(await status.getAttribute('data-points'));
  expect(kept).toBeGreaterThanOrEqual(2);
  expect(kept).toBeLessThan(4);
});
