// Zero-shot accuracy in the tab (the lab worker on WebGPU; SwiftShader here): the bundled HellaSwag items,
// acc live per item, the same acc and acc_norm as the engine in Node on WASM over the same items, and a
// bad items file refused with its line while the lab stays usable.

import { expect, nodeLab, test } from './helpers';

const items = 12;

test('HellaSwag accuracy on WebGPU: live per item, the same answers as Node on WASM; a bad jsonl names its line', async ({ page, lab: _demo }) => {
  test.setTimeout(300_000);
  await expect(page.getByTestId('backend-name')).toHaveText(/WebGPU/);
  await page.getByTestId('acc-max-items').fill(String(items));
  await page.getByTestId('acc-run').click();
  const status = page.getByTestId('acc-status');
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const result = page.getByTestId('acc-result');
  await expect(result).toHaveAttribute('data-items', String(items));
  const [acc, accNorm] = [Number(await result.getAttribute('data-acc')), Number(await result.getAttribute('data-acc-norm'))];

  const lab = await nodeLab();
  const node = await lab.evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' }, maxItems: items });
  await lab.dispose();
  // fp32 sums in another order could flip a near tie; at most one item of twelve.
  expect(Math.abs(acc - node.acc)).toBeLessThanOrEqual(1 / items + 1e-9);
  expect(Math.abs(accNorm - node.accNorm)).toBeLessThanOrEqual(1 / items + 1e-9);

  await page.getByTestId('acc-data').selectOption('file');
  await page.getByTestId('acc-file').setInputFiles({ name: 'mine.jsonl', mimeType: 'application/json', buffer: Buffer.from('{"query":"a","endings":["b","c"],"label":0}\n{"query":"a"}\n') });
  await page.getByTestId('acc-run').click();
  await expect(page.getByTestId('error-alert')).toContainText('mine.jsonl: line 2');
  await expect(status).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('acc-run')).toBeEnabled();
});
