// Every row of bad-inputs.ts through the real UI, one after another in one page with the demo model loaded
// (the `lab` fixture; no request leaves the origin): each alert names the code and the file, after every
// error row the model loaded before it is still the loaded one, a 'loads' row loads, and after the last
// row the lab still evaluates. Then the faults: a cancelled run holds no more GPU buffers than a finished one
// (counted on the device by the worker's test hook), and a GPU device destroyed during an evaluation
// (device.destroy(), as a driver reset) fails it as 'device-lost' while the next evaluation (same perplexity)
// and prune rebuild the device and sessions, with the finished run still listed. One page for all rows also checks that
// errors do not accumulate (a dozen failed loads in a row leave a working lab), and spares a page load and
// shader compilation per row. Model rows are picked as a folder (relative paths kept); text rows go through
// the evaluation panel's .txt input. Each row is its own test.step, so a failure names the row.

import type { Page } from '@playwright/test';
import { badInputs, type BadInputRow } from './bad-inputs';
import { expect, fillQuickPrune, runEvaluation, saveScreenshot, test, waitForPruneDone, writeFolder } from './helpers';

async function dismissAlert(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Dismiss the error' }).click();
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}

/** Folders of rows that load: the lab reads their weights later, so they stay on disk until the test ends. */
const keptFolders: (() => Promise<void>)[] = [];

async function feedRow(page: Page, row: BadInputRow): Promise<void> {
  const files = await row.makeFiles();
  expect(files.length).toBeGreaterThan(0);
  if (row.kind === 'model') {
    const { folder, remove: removeNow } = await writeFolder('dropped-model', files);
    const remove = row.expectedCode === 'loads' ? async () => void keptFolders.push(removeNow) : removeNow;
    try {
      await page.getByTestId('folder-input').setInputFiles(folder);
      await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', row.expectedCode === 'loads' ? 'done' : 'failed');
    } finally {
      await remove();
    }
    return;
  }
  await page.getByTestId('eval-text').selectOption('file');
  const [text] = files;
  await page.getByTestId('eval-text-file').setInputFiles({ name: text.path, mimeType: 'text/plain', buffer: Buffer.from(text.bytes) });
  await expect(page.getByTestId('eval-text')).toContainText(text.path);
  await page.getByTestId('eval-max-windows').fill('2');
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'failed');
}

test.describe('bad inputs', () => {
  test('the table has rows of both kinds', () => {
    expect(badInputs.filter((row) => row.kind === 'model').length).toBeGreaterThan(0);
    expect(badInputs.filter((row) => row.kind === 'text').length).toBeGreaterThan(0);
  });

  test(`all ${badInputs.length} rows in turn: each names its code and file; the loaded model stays and still evaluates`, async ({ page, lab: _demo }) => {
    const modelName = page.getByTestId('model-name');
    expect(await modelName.textContent()).not.toBe('');
    const screenshotted = new Set<string>();
    for (const row of badInputs) {
      await test.step(`${row.id}: ${row.description}`, async () => {
        const loadedBefore = (await modelName.textContent()) ?? '';
        await feedRow(page, row);
        if (row.expectedCode === 'loads') {
          await expect(page.getByTestId('error-alert')).toHaveCount(0);
          await expect(modelName).toHaveText('dropped-model');
          return;
        }
        const alert = page.getByTestId('error-alert');
        await expect(alert).toBeVisible();
        await expect(alert).toHaveAttribute('data-code', row.expectedCode);
        await expect(page.getByTestId('error-message')).toHaveText(row.messagePattern);
        // One screenshot per class of input (a screenshot per row cost the suite seconds for no new view).
        if (!screenshotted.has(row.group)) await saveScreenshot(page, `bad-input-${row.id}`);
        screenshotted.add(row.group);
        await dismissAlert(page);
        await expect(modelName).toHaveText(loadedBefore);
        if (row.kind === 'text') await page.getByTestId('eval-text').selectOption('tinystories');
      });
    }
    // After every row: the lab still evaluates (errors did not accumulate or leave a job running).
    await runEvaluation(page, { maxWindows: '2', seqLen: '64' });
    await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '2');
    const pplBefore = await page.getByTestId('eval-ppl').getAttribute('data-value');

    // Faults, on the same page: a cancelled run releases its GPU buffers; a lost GPU device fails the running
    // job with a clear message, keeps the finished runs, and the next actions rebuild the device and sessions.
    const worker = page.workers().find((w) => w.url().includes('lab.worker'));
    expect(worker, 'the lab worker').toBeTruthy();
    const gpu = (call: 'bufferStats' | 'destroyDevice') => worker!.evaluate((name) => (self as unknown as { prunelabGpu: Record<string, () => unknown> }).prunelabGpu[name](), call);
    const liveBuffers = async () => {
      const { live, liveBytes } = (await gpu('bufferStats')) as { live: number; liveBytes: number };
      return { live, liveBytes };
    };
    await test.step('a finished run, then a cancelled one: the GPU buffers held after each are the same (none)', async () => {
      await fillQuickPrune(page, { methodId: 'magnitude', evaluation: false });
      await page.getByTestId('prune-run').click();
      await waitForPruneDone(page);
      const afterFinished = await liveBuffers();
      await fillQuickPrune(page, { methodId: 'wanda', calibration: { windows: '16', seqLen: '128' }, evaluation: false });
      await page.getByTestId('prune-run').click();
      await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'running');
      await page.getByTestId('prune-cancel').click();
      await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'cancelled');
      expect(await liveBuffers()).toEqual(afterFinished);
      await expect(page.getByTestId('run-row')).toHaveCount(1);
    });
    await test.step('the GPU device lost during an evaluation: a device-lost error; runs kept; evaluation and pruning work again', async () => {
      await page.getByTestId('eval-seq-len').fill('64');
      await page.getByTestId('eval-max-windows').fill('400');
      await page.getByTestId('eval-run').click();
      await expect(page.getByTestId('eval-status')).toContainText('window');
      expect(await gpu('destroyDevice')).toBe(true);
      await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'failed');
      await expect(page.getByTestId('error-alert')).toHaveAttribute('data-code', 'device-lost');
      await expect(page.getByTestId('error-message')).toContainText('The GPU device was lost (destroyed');
      await expect(page.getByTestId('error-message')).toContainText('Finished runs are kept');
      await saveScreenshot(page, 'fault-device-lost');
      await dismissAlert(page);
      await expect(page.getByTestId('run-row')).toHaveCount(1);
      await runEvaluation(page, { maxWindows: '2', seqLen: '64' });
      await expect(page.getByTestId('eval-ppl')).toHaveAttribute('data-value', pplBefore!);
      await page.getByTestId('prune-run').click();
      await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done');
      await expect(page.getByTestId('run-row')).toHaveCount(2);
    });
    for (const remove of keptFolders.splice(0)) await remove();
  });

  test('a drop on the drop zone goes through the same checks', async ({ page, lab: _demo }) => {
    const demoName = (await page.getByTestId('model-name').textContent()) ?? '';
    expect(demoName).not.toBe('');
    const row = badInputs.find((r) => r.id === 'random-bytes-onnx') ?? badInputs.find((r) => r.kind === 'model')!;
    const files = (await row.makeFiles()).map((f) => ({ name: f.path.split('/').pop()!, bytes: Array.from(f.bytes) }));
    expect(files.length).toBeGreaterThan(0);
    // A scripted DataTransfer holds plain files (no directory entries): the flat-files drop path.
    const transfer = await page.evaluateHandle((dropped) => {
      const data = new DataTransfer();
      for (const file of dropped) data.items.add(new File([new Uint8Array(file.bytes)], file.name));
      return data;
    }, files);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
    await expect(page.getByTestId('error-alert')).toHaveAttribute('data-code', row.expectedCode);
    await dismissAlert(page);
    await expect(page.getByTestId('model-name')).toHaveText(demoName);
  });
});
