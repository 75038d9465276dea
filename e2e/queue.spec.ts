// The run queue on the demo model (5 blocks), tiny settings (1 × 64 calibration and evaluation, no
// speed, no generation): a sweep of Magnitude and ShortGPT at ratios 0.2, 0.4 queues 4 runs; one more
// run is added and cancelled while it waits (the first run's held-out text is held back until then, so
// it certainly waits); 4 runs finish, 1 is cancelled, the Runs table has 4 rows.

import { expect, test } from '@playwright/test';
import { fillQuickPrune, holdRequests, openLab, screensDir } from './helpers';

test('a sweep queues its runs, runs them one at a time, and a cancelled run leaves the others intact', async ({ page }) => {
  await openLab(page);
  const items = page.getByTestId('queue-item');
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(0);

  await fillQuickPrune(page, { methodId: 'magnitude', params: { sparsity: '0.6' } });
  await page.getByTestId('sweep').locator('summary').click();
  await page.getByTestId('sweep-methods-magnitude').check();
  await page.getByTestId('sweep-methods-shortgpt').check();
  await page.getByTestId('sweep-ratios').fill('0.2, 0.4, x');
  await expect(page.getByTestId('sweep-ratios')).toHaveAccessibleDescription(/"x" is not a number between 0 and 1/);
  await expect(page.getByTestId('sweep-add')).toBeDisabled();
  await page.getByTestId('sweep-ratios').fill('0.2, 0.4');
  await expect(page.getByTestId('sweep-ratios')).toHaveAccessibleDescription(/round\(ratio × layers\) blocks/);
  await expect(page.getByTestId('sweep-count')).toHaveAttribute('data-value', '4');
  await expect(page.getByTestId('sweep-count')).toHaveText('4 runs');

  // The first run's held-out text (WikiText-2, the other bundled text: calibration is on TinyStories) is
  // held until the extra run below is cancelled: the first run is still running and the extra one
  // certainly waits, however fast the machine.
  await page.getByTestId('prune-evalText').selectOption('other');
  const heldOutText = await holdRequests(page, '**/data/wikitext-2-raw-test.txt');
  await page.getByTestId('sweep-add').click();
  await expect(items).toHaveCount(4);
  // The selected method (Magnitude 0.6) joins the queue behind the sweep; it is cancelled before it starts.
  await expect(page.getByTestId('prune-run')).toBeEnabled();
  await page.getByTestId('prune-run').click();
  await expect(items).toHaveCount(5);
  const extra = items.nth(4);
  await expect(extra).toContainText('Magnitude · sparsity=0.6');
  const cancelExtra = page.getByRole('button', { name: 'Cancel Magnitude · sparsity=0.6' });
  await expect(cancelExtra).toHaveCount(1);

  // While the sweep runs: exactly one item runs, with its phase and progress bar.
  await expect(page.locator('[data-testid="queue-item"][data-status="running"]')).toHaveCount(1, { timeout: 120_000 });
  await expect(page.locator('[data-testid="queue-item"][data-status="running"] progress')).toBeVisible();
  await expect.poll(heldOutText.held, { timeout: 120_000 }).toBe(1);
  await expect(items.nth(0)).toHaveAttribute('data-status', 'running');
  await expect(page.locator('[data-testid="queue-item"][data-status="queued"]')).toHaveCount(4);
  await page.getByTestId('prune-panel').screenshot({ path: `${screensDir}/queue-01.png` });
  await expect(extra).toHaveAttribute('data-status', 'queued');
  await cancelExtra.click();
  await expect(extra).toHaveAttribute('data-status', 'cancelled');
  heldOutText.release();

  await expect(page.locator('[data-testid="queue-item"][data-status="done"]')).toHaveCount(4, { timeout: 170_000 });
  await expect(page.locator('[data-testid="queue-item"][data-status="cancelled"]')).toHaveCount(1);
  await expect(page.getByTestId('queue-summary')).toContainText('0 waiting, 4 done, 1 cancelled');
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
  await expect(rows).toHaveCount(4);
  // Each done item names its recorded run; the labels say method and ratio (ShortGPT 0.2 → 1 block, 0.4 → 2).
  const labels = await items.evaluateAll((els) => els.map((e) => e.querySelector('.queue-label')?.textContent ?? ''));
  expect(labels.slice(0, 4)).toEqual([
    'Magnitude · sparsity=0.2', 'Magnitude · sparsity=0.4', 'ShortGPT · blocks=1 · TinyStories ×1', 'ShortGPT · blocks=2 · TinyStories ×1',
  ]);
  for (let i = 0; i < 4; i++) expect(await items.nth(i).getAttribute('data-run-id')).toMatch(/^run-/);
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('prune-layers')).toHaveText('5 → 3');
  await page.getByTestId('prune-panel').screenshot({ path: `${screensDir}/queue-02-done.png` });

  await page.getByTestId('queue-clear').click();
  await expect(items).toHaveCount(0);
  await expect(rows).toHaveCount(4);
});
