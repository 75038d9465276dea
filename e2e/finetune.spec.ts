// Recovery fine-tuning in the tab (the lab worker on WebGPU; SwiftShader here): LoRA steps on the demo
// model with a live loss curve and held-out perplexity before → after, agreeing step for step with the
// same run in Node on WASM (loss within 1e-3 relative at every step); stopping after two steps keeps
// them; the run lands in the Runs table; the fine-tuned model downloads as a Hugging Face folder.

import type { Page } from '@playwright/test';
import { expect, nodeLab, readDownload, test, unzip } from './helpers';

const request = { steps: 5, batch: 4, seqLen: 32, rank: 4 };

async function fill(page: Page, steps: number): Promise<void> {
  await page.getByTestId('ft-mode').selectOption('lora');
  await page.getByTestId('ft-rank').fill(String(request.rank));
  await page.getByTestId('ft-steps').fill(String(steps));
  await page.getByTestId('ft-batch').fill(String(request.batch));
  await page.getByTestId('ft-seq-len').fill(String(request.seqLen));
}

test('LoRA fine-tuning on WebGPU: live loss, held-out ppl, same losses as Node on WASM, download; a stopped run keeps its steps', async ({ page, lab: _demo }) => {
  test.setTimeout(900_000);
  await expect(page.getByTestId('backend-name')).toHaveText(/WebGPU/); // else this compares WASM with WASM
  await fill(page, request.steps);
  await page.getByTestId('ft-run').click();
  const status = page.getByTestId('ft-status');
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 480_000 });
  await expect(status).toHaveAttribute('data-steps', String(request.steps));
  await expect(status).toContainText('Held-out perplexity');
  await expect(page.getByTestId('ft-chart')).toHaveAttribute('data-points', String(request.steps));
  const pageLosses = (await status.getAttribute('data-losses'))!.split(',').map(Number);
  // The run lands in the Runs table, its perplexities the held-out ones.
  const row = page.getByTestId('run-row').filter({ hasText: 'dense + LoRA r4' });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('run-ppl')).toHaveAttribute('data-after', /^\d/);

  const lab = await nodeLab();
  const node = await lab.finetune({
    which: 'loaded',
    text: { kind: 'bundled', id: 'tinystories' },
    steps: request.steps,
    batch: request.batch,
    seqLen: request.seqLen,
    lora: { rank: request.rank, alpha: 2 * request.rank },
  });
  await lab.dispose();
  expect(pageLosses).toHaveLength(request.steps);
  node.trace.forEach((t, i) => expect(Math.abs(pageLosses[i] - t.loss) / t.loss, `step ${i + 1}: page ${pageLosses[i]}, node ${t.loss}`).toBeLessThan(1e-3));
  expect(node.pplAfter!.ppl).toBeLessThan(node.pplBefore!.ppl);

  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  const zip = await readDownload(page, () => page.getByTestId('ft-download').click());
  const files = await unzip(zip.bytes);
  expect([...files.keys()]).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));

  // On the same page (a page load is the suite's largest cost): a long run stopped after two steps keeps them.
  await test.step('stopping a fine-tuning after two steps keeps them; the lab stays usable', async () => {
    await fill(page, 200);
    await page.getByTestId('ft-run').click();
    await expect(status).toHaveAttribute('data-steps', /^[2-9]|\d\d/, { timeout: 240_000 });
    await page.getByTestId('ft-cancel').click();
    await expect(status).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    await expect(status).toContainText('stopped: the last finished step is kept');
    await page.getByTestId('eval-max-windows').fill('1');
    await page.getByTestId('eval-seq-len').fill('64');
    await page.getByTestId('eval-run').click();
    await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  });
});
