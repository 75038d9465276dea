// DReSS in the tab (the lab worker on WebGPU; SwiftShader here): a short regularization shows its loss and
// slice norms live, ends with a narrower model (hidden size 48 of 64) that lands in Runs and downloads
// as a transformers.js folder; cancelling a long run leaves the loaded model and a working lab.

import type { Page } from '@playwright/test';
import { expect, fillQuickPrune, readDownload, test, unzip, waitForPruneDone } from './helpers';

async function fillDress(page: Page, steps: string): Promise<void> {
  await fillQuickPrune(page, {
    methodId: 'dress',
    params: { ratio: '0.25', steps, batch: '2' },
    calibration: { windows: '2', seqLen: '32' },
    evaluation: { windows: '1', seqLen: '64' },
  });
}

test('DReSS 25%: live loss and slice norms, a 48-channel model in Runs, transformers.js download; a cancelled long run leaves a working lab', async ({ page, lab: _demo }) => {
  test.setTimeout(600_000);
  await fillDress(page, '6');
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('dress-live-chart')).toBeVisible({ timeout: 240_000 });
  await waitForPruneDone(page);
  const chart = page.getByTestId('dress-chart');
  await expect(chart).toHaveAttribute('data-points', '6');
  const norms = (await chart.getAttribute('data-slice-norms'))!.split(',').map(Number);
  expect(norms.every((n) => n > 0 && Number.isFinite(n))).toBe(true);
  expect(norms[5]).toBeLessThan(norms[0]); // the regularized slices shrink
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await expect(page.getByTestId('run-row')).toContainText(/DReSS/);

  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  await page.getByTestId('export-format').selectOption('transformers.js');
  const zip = await readDownload(page, () => page.getByTestId('prune-download').click());
  const files = await unzip(zip.bytes);
  expect([...files.keys()]).toEqual(expect.arrayContaining(['config.json', 'onnx/model.onnx', 'tokenizer.json']));
  const config = JSON.parse(files.get('config.json')!.toString('utf8'));
  expect(config).toMatchObject({ hidden_size: 48, head_dim: 8, num_attention_heads: 8 });

  // Cancelling a long run midway (same page: a page load per test is the suite's largest cost).
  await fillDress(page, '500');
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('dress-live-chart')).toHaveAttribute('data-points', /^[2-9]|\d\d/, { timeout: 240_000 });
  await page.getByTestId('prune-cancel').click();
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'cancelled', { timeout: 120_000 });
  await page.getByTestId('eval-max-windows').fill('1');
  await page.getByTestId('eval-seq-len').fill('64');
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('run-row')).toHaveCount(1); // the cancelled run left no record
});
