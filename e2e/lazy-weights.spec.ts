// Weights are read from the dropped files when the lab uses them (not copied at load). A folder
// deleted after loading therefore cannot be evaluated: the lab says which file is gone and what to do,
// and stays usable (the same folder dropped again evaluates).

import { importFolderFiles } from '../test/helpers/bad-import-folders';
import { expect, runEvaluation, test, writeFolder } from './helpers';

test('a model folder deleted after loading: evaluation names the missing file; dropped again, it evaluates', async ({ page, lab: _demo }) => {
  // The control folder: stories260K's safetensors + config + tokenizer + its ONNX (import check passes).
  const files = importFolderFiles('control');
  const gone = await writeFolder('stories260K-then-deleted', files);
  await page.getByTestId('folder-input').setInputFiles(gone.folder);
  await expect(page.getByTestId('import-check')).toHaveAttribute('data-status', 'pass');
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done');
  // Named after its folder, and says what it replaced.
  await expect(page.getByTestId('model-name')).toHaveText('stories260K-then-deleted');
  await expect(page.getByTestId('load-status')).toHaveText('Now loaded: stories260K-then-deleted (replaced stories260K (bundled demo)).');
  await gone.remove();

  await runEvaluation(page, { maxWindows: '1', seqLen: '64' }, { expectError: true });
  const alert = page.getByTestId('error-alert');
  await expect(alert).toHaveAttribute('data-code', 'missing-file');
  await expect(alert).toContainText('model.safetensors: can no longer be read');
  await expect(alert).toContainText('drop the model folder again');

  const again = await writeFolder('stories260K-again', files);
  try {
    await page.getByTestId('folder-input').setInputFiles(again.folder);
    // The re-dropped folder really is the loaded model (a failure of the replaced model must not fail its load).
    await expect(page.getByTestId('model-name')).toHaveText('stories260K-again');
    await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done');
    await expect(page.getByTestId('import-check')).toHaveAttribute('data-status', 'pass');
    await runEvaluation(page, { maxWindows: '1', seqLen: '64' });
    await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '1');
    expect(Number(await page.getByTestId('eval-ppl').getAttribute('data-value'))).toBeGreaterThan(1);
  } finally {
    await again.remove();
  }
  // After a reload the page cannot read the dropped files again: it says so instead of silently showing the demo.
  await page.reload();
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('previous-model')).toContainText('stories260K-again');
  await expect(page.getByTestId('previous-model')).toContainText('drop its folder again');
});
