// Block movement pruning in the tab (the lab worker on WebGPU; SwiftShader here): a short run shows its
// loss and masked share live, compiles to a smaller model with one head count and FFN size per block,
// lands in Runs and downloads as a transformers.js folder; cancelling a long run leaves a working lab.

import type { Page } from '@playwright/test';
import { expect, fillQuickPrune, readDownload, runEvaluation, test, unzip, waitForPruneDone } from './helpers';

async function fillMovement(page: Page, steps: string): Promise<void> {
  await fillQuickPrune(page, {
    methodId: 'movement',
    params: { steps, scoreLr: '0.5', lambda: '50', batch: '2' },
    calibration: { windows: '2', seqLen: '32' },
    evaluation: { windows: '1', seqLen: '64' },
  });
}

test('movement pruning: live loss and masked share, a smaller model in Runs, transformers.js download; a cancelled long run leaves a working lab', async ({ page, lab: _demo }) => {
  test.setTimeout(600_000);
  await fillMovement(page, '8');
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('movement-live-chart')).toBeVisible({ timeout: 240_000 });
  await waitForPruneDone(page);
  const chart = page.getByTestId('movement-chart');
  await expect(chart).toHaveAttribute('data-points', '8');
  const sparsity = (await chart.getAttribute('data-sparsity'))!.split(',').map(Number);
  expect(sparsity[0]).toBe(0); // τ = 0 during the warm-up
  expect(sparsity[7]).toBeGreaterThan(0);
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await expect(page.getByTestId('run-row')).toContainText(/movement/i);

  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  await page.getByTestId('export-format').selectOption('transformers.js');
  const zip = await readDownload(page, () => page.getByTestId('prune-download').click());
  const files = await unzip(zip.bytes);
  expect([...files.keys()]).toEqual(expect.arrayContaining(['config.json', 'onnx/model.onnx', 'tokenizer.json']));
  const config = JSON.parse(files.get('config.json')!.toString('utf8'));
  expect(config.hidden_size).toBe(64);
  expect(config.intermediate_size * config.num_key_value_heads).toBeLessThan(172 * 4); // something was removed

  // Cancelling a long run midway (same page: a page load per test is the suite's largest cost).
  await fillMovement(page, '500');
  await page.getByTestId('prune-run').click();
  await expect(page.getByTestId('movement-live-chart')).toHaveAttribute('data-points', /^[2-9]|\d\d/, { timeout: 240_000 });
  await page.getByTestId('prune-cancel').click();
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'cancelled', { timeout: 120_000 });
  await runEvaluation(page, { maxWindows: '1', seqLen: '64' });
  await expect(page.getByTestId('run-row')).toHaveCount(1); // the cancelled run left no record
});
