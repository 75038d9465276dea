// Layout at three widths after a run has filled the result views and the Runs table: no card is wider
// than the page's column (wide tables scroll inside their card), at 800, 1200 and 1600 px; the runs
// chart shows the dense reference and a log scale.

import { expect, fillQuickPrune, test, waitForPruneDone } from './helpers';

test('no card wider than its column at 800, 1200 and 1600 px once results exist; the runs chart has a dense reference and a log scale', async ({ page, lab: _demo }) => {
  test.setTimeout(300_000);
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
      const main = document.querySelector('.main')!;
      const style = getComputedStyle(main);
      const column = main.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return [...document.querySelectorAll('.main > *')]
        .map((el) => ({ id: el.getAttribute('aria-labelledby') ?? el.className, width: el.getBoundingClientRect().width }))
        .filter((c) => c.width > column + 1)
        .map((c) => `${c.id}: ${Math.round(c.width)} px > ${Math.round(column)} px`);
    });
    expect(overflow, `at ${width} px`).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `page scrolls sideways at ${width} px`).toBe(true);
  }
});
