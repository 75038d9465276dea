// Layout at three widths after a run has filled the result views and the Runs table: no card is wider
// than its column (wide tables scroll inside their card), at 800, 1200 and 1600 px; two columns (controls
// beside results) from 1200 px, one below; the runs chart shows the dense reference and a log scale.
// Also the adapter self-test: passed here, and a perturbed adapter (?adapterFault=) falls back to WASM.

import { expect, fillQuickPrune, openLab, runEvaluation, saveScreenshot, test, waitForPruneDone } from './helpers';

test('no card wider than its column at 800, 1200 and 1600 px once results exist; the runs chart has a dense reference and a log scale', async ({ page, lab: _demo }) => {
  test.setTimeout(300_000);
  // The adapter (SwiftShader here) passed its numeric self-test against WASM, so the lab runs on it.
  await expect(page.getByTestId('backend-name')).toHaveText('WebGPU');
  await expect(page.getByTestId('self-test')).toHaveAttribute('data-passed', 'true');
  await expect(page.getByTestId('first-block-check')).toHaveAttribute('data-status', 'pass');
  await fillQuickPrune(page, { methodId: 'drop-blocks', params: { blocks: '2' }, generate: false });
  await page.getByTestId('prune-run').click();
  await waitForPruneDone(page);
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  // The runs chart draws the dense model as a reference, and switches to a log scale.
  const chart = page.getByTestId('runs-chart');
  const before = Number(await page.getByTestId('run-ppl').getAttribute('data-before'));
  await expect(chart).toHaveAttribute('data-dense', String(before));
  await page.getByTestId('runs-chart-log').check();
  await expect(chart).toHaveAttribute('data-log', 'true');
  for (const width of [800, 1200, 1600]) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => {
      // Every card against the content box of the column that holds it (a workspace column, or .main).
      const cards = [...document.querySelectorAll('.main .card, .main .drop-zone')];
      return cards
        .map((el) => {
          const column = el.parentElement!;
          const style = getComputedStyle(column);
          const inner = column.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return { id: el.getAttribute('data-testid') ?? el.getAttribute('aria-labelledby') ?? el.className, width: el.getBoundingClientRect().width, inner };
        })
        .filter((c) => c.width > c.inner + 1)
        .map((c) => `${c.id}: ${Math.round(c.width)} px > ${Math.round(c.inner)} px`);
    });
    const columns = await page.evaluate(() => {
      window.scrollTo(0, 0); // the controls column is sticky: compare the columns at the top of the page
      const [controls, results] = ['workspace-controls', 'workspace-results'].map((id) => document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect());
      return { sideBySide: controls.right <= results.left + 1 && Math.abs(controls.top - results.top) < 2, stacked: controls.bottom <= results.top + 1 };
    });
    expect(width >= 1200 ? columns.sideBySide : columns.stacked, `columns at ${width} px: ${JSON.stringify(columns)}`).toBe(true);
    expect(overflow, `at ${width} px`).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `page scrolls sideways at ${width} px`).toBe(true);
    await saveScreenshot(page, `layout-${width}`);
  }
});

test('an adapter whose self-test (or first-block) results are perturbed (injected faults) is flagged, and the lab runs on WASM', async ({ page }) => {
  await openLab(page, '/?adapterFault=0.01');
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('fallback-reason')).toContainText(/failed the numeric self-test: its matmul result differs from WASM by/);
  await expect(page.getByTestId('self-test')).toHaveCount(0);
  await saveScreenshot(page, 'adapter-self-test-fallback');
  await runEvaluation(page, { maxWindows: '1' });
  await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '1');

  // An adapter that passes the small kernels but computes the model's first block wrong: the model runs on WASM.
  await page.goto('/?blockFault=0.01');
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('first-block-check')).toHaveAttribute('data-status', 'fail');
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  await expect(page.getByTestId('fallback-reason')).toContainText("computed this model's first block wrong");
  await runEvaluation(page, { maxWindows: '1' });
  await expect(page.getByTestId('eval-chart')).toHaveAttribute('data-points', '1');
});
