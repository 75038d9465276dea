// The import check is checked, not trusted: a stories260K folder that disagrees with its ONNX graph
// (config.json's rope_theta or rms_norm_eps — the graph bakes in the real ones — or a model.safetensors
// whose weights differ from the ONNX's): our graph, rebuilt from config.json and the weights, gives other
// logits than the dropped file, so the load is refused ('import-mismatch', naming the ONNX file; the previous
// model stays loaded). "Load anyway" loads it: the model card shows the check FAILED with the difference and
// the tolerance, and the lab stays usable (the model evaluates). The folders come from the same helper as the
// Node test (test/lab/import-check-negative.test.ts). The demo model's own check is in lab.spec.ts.

import { importFolderFiles, type ImportFolderOptions, type BadImportKind } from '../test/helpers/bad-import-folders';
import type { Locator, Page } from '@playwright/test';
import { expect, runEvaluation, saveScreenshot, test, writeFolder } from './helpers';

const cases: { name: string; kind: BadImportKind; options: ImportFolderOptions; /** max |Δlogit| at least (Node, WASM: 5.65, 1.02, 6.7e-2). */ atLeast: number }[] = [
  { name: 'a config.json with rope_theta 500000 (the graph has 10000)', kind: 'rope-theta', options: { ropeTheta: 500_000 }, atLeast: 0.1 },
  { name: 'a config.json with rms_norm_eps 1e-2 (the graph has 1e-5)', kind: 'rms-norm-eps', options: { rmsNormEps: 1e-2 }, atLeast: 0.1 },
  { name: 'a model.safetensors whose down_proj differs by 1% from the ONNX', kind: 'safetensors-differs', options: { weightScale: 1.01 }, atLeast: 1e-2 },
];

test('three folders that disagree with their ONNX graph each fail the import check; the lab stays usable after each', async ({ page, lab: _demo }) => {
  // The demo model passed its own check first: the failures below are the dropped folders'. One page for the
  // three (a page load per test is the suite's largest cost); each folder is its own step.
  const check = page.getByTestId('import-check');
  await expect(check).toHaveAttribute('data-status', 'pass');
  for (const { name, kind, options, atLeast } of cases) {
    await test.step(name, async () => {
      // The folder stays on disk until the step ends: the lab reads weights when it uses them.
      const { folder, remove } = await writeFolder(`stories260K-bad-${kind}`, importFolderFiles(kind, options));
      try {
        const previousName = (await page.getByTestId('model-name').textContent()) ?? '';
        await page.getByTestId('folder-input').setInputFiles(folder);
        await expect(page.getByTestId('error-alert')).toHaveAttribute('data-code', 'import-mismatch');
        await expect(page.getByTestId('error-message')).toContainText('onnx/model.onnx: the import check failed');
        await expect(page.getByTestId('model-name')).toHaveText(previousName);
        await page.getByTestId('load-anyway').click();
        await expect(page.getByTestId('model-name')).toHaveText(`stories260K-bad-${kind}`);
        await expect(check).toHaveAttribute('data-status', 'fail');
        await checkFailedCardAndUse(page, check, kind, atLeast);
      } finally {
        await remove();
      }
    });
  }
});

async function checkFailedCardAndUse(page: Page, check: Locator, kind: BadImportKind, atLeast: number): Promise<void> {
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
  const maxAbsDiff = Number(await check.getAttribute('data-max-abs-diff'));
  const tolerance = Number(await check.getAttribute('data-tolerance'));
  expect(tolerance).toBe(1e-4); // fp32 weights
  expect(Number.isFinite(maxAbsDiff)).toBe(true);
  expect(maxAbsDiff).toBeGreaterThan(atLeast);
  // The card says it, with the difference and the tolerance.
  await expect(check).toContainText('FAIL');
  await expect(check).toContainText(`max |Δlogit| = ${maxAbsDiff.toExponential(2)}`);
  await expect(check).toContainText('(tolerance 1e-4)');
  await expect(check).toContainText('onnx/model.onnx');
  await saveScreenshot(page, `import-check-fail-${kind}`);

  // Usable: the dropped model is the loaded one (5 layers) and evaluates.
  await expect(page.getByTestId('model-layers')).toHaveText('5');
  await runEvaluation(page, { maxWindows: '1', seqLen: '64' });
  await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '1');
  expect(Number(await page.getByTestId('eval-ppl').getAttribute('data-value'))).toBeGreaterThan(1);
}
