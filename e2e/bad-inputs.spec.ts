// Every row of bad-inputs.ts through the real UI, one after another in one page with the demo model loaded
// (the `lab` fixture; no request leaves the origin): each alert names the code and the file, and after every
// row the demo model is still the loaded one and still evaluates. One page for all rows also checks that
// errors do not accumulate (a dozen failed loads in a row leave a working lab), and spares a page load and
// shader compilation per row. Model rows are picked as a folder (relative paths kept); text rows go through
// the evaluation panel's .txt input. Each row is its own test.step, so a failure names the row.

import type { Page } from '@playwright/test';
import { badInputs, type BadInputRow } from './bad-inputs';
import { expect, runEvaluation, saveScreenshot, test, writeFolder } from './helpers';

async function dismissAlert(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Dismiss the error' }).click();
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}

async function feedRow(page: Page, row: BadInputRow): Promise<void> {
  const files = await row.makeFiles();
  expect(files.length).toBeGreaterThan(0);
  if (row.kind === 'model') {
    const { folder, remove } = await writeFolder('dropped-model', files);
    try {
      await page.getByTestId('folder-input').setInputFiles(folder);
      await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'failed');
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

  test(`all ${badInputs.length} rows in turn: each names its code and file; the demo model stays loaded and evaluates after each`, async ({ page, lab: _demo }) => {
    const demoName = (await page.getByTestId('model-name').textContent()) ?? '';
    expect(demoName).not.toBe('');
    let evaluations = 0;
    for (const row of badInputs) {
      await test.step(`${row.id}: ${row.description}`, async () => {
        await feedRow(page, row);
        const alert = page.getByTestId('error-alert');
        await expect(alert).toBeVisible();
        await expect(alert).toHaveAttribute('data-code', row.expectedCode);
        await expect(page.getByTestId('error-message')).toHaveText(row.messagePattern);
        await saveScreenshot(page, `bad-input-${row.id}`);
        await dismissAlert(page);

        // The demo model is still the loaded one and still evaluates.
        await expect(page.getByTestId('model-name')).toHaveText(demoName);
        if (row.kind === 'text') await page.getByTestId('eval-text').selectOption('tinystories');
        await runEvaluation(page, { maxWindows: '1' });
        evaluations++;
        await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '1');
      });
    }
    expect(evaluations).toBe(badInputs.length);
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
