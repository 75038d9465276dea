// Accessibility of the lab on the demo model, each test in its own page (the `lab` fixture): axe (WCAG 2
// A + AA rules) on the first screen and after a quick pruning run; every control has an accessible name;
// Enter on a focused Run starts a run; after its own run, the keyboard reaches the method picker, Run and
// the Runs panel in page order.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, fillQuickPrune, saveScreenshot, screensDir, test, waitForPruneDone } from './helpers';

/** axe's violations as readable lines: rule, impact, and each offending element's selector and HTML. */
async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return results.violations.flatMap((v) =>
    v.nodes.map((node) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n    at ${node.target.join(' ')}\n    ${node.html.slice(0, 200)}`),
  );
}

/** Every <input>, <select>, <button>, <textarea> without an accessible name (described as testid or HTML). */
async function unnamedControls(page: Page): Promise<string[]> {
  const controls = await page.locator('input, select, button, textarea').all();
  expect(controls.length, 'controls on the page').toBeGreaterThan(10);
  const unnamed: string[] = [];
  for (const control of controls) {
    if (!(await control.isVisible())) continue;
    // A plain approximation of the accessible name: aria-label(ledby), <label>s, button text, title.
    const name = await control.evaluate((el) => {
      const labelled = el.getAttribute('aria-label') ?? '';
      const byIds = (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
      const labels = 'labels' in el ? Array.from((el as HTMLInputElement).labels ?? []).map((l) => l.textContent ?? '').join(' ') : '';
      const own = el.tagName === 'BUTTON' ? (el.textContent ?? '') : '';
      const title = el.getAttribute('title') ?? '';
      return `${labelled} ${byIds} ${labels} ${own} ${title}`.trim();
    });
    if (name === '') unnamed.push((await control.getAttribute('data-testid')) ?? (await control.evaluate((el) => el.outerHTML.slice(0, 160))));
  }
  return unnamed;
}

/**
 * Tabs once through the page from the top (stops when focus leaves the page's controls, i.e. wraps) and
 * returns, per target, the first press at which focus was inside it (null: never reached before the wrap).
 */
async function firstTabStops(page: Page, testIds: string[], limit = 400): Promise<Record<string, number | null>> {
  const first: Record<string, number | null> = Object.fromEntries(testIds.map((id) => [id, null]));
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate((ids) => {
      const active = document.activeElement;
      if (!active || active === document.body) return null;
      return ids.filter((id) => active.closest(`[data-testid="${id}"]`) != null);
    }, testIds);
    if (inside === null) break; // wrapped past the last control
    for (const id of inside) first[id] ??= presses;
    if (testIds.every((id) => first[id] !== null)) break;
  }
  return first;
}

// The default `page` fixture belongs to a context Playwright created explicitly, as axe needs.
test.describe('accessibility on the demo model', () => {
  test('the first screen explains itself and has no axe violations', async ({ page, lab: _demo }) => {
    const intro = page.getByTestId('intro');
    await expect(intro).toContainText('stories260K');
    await expect(intro).toContainText('IndexedDB');
    await expect(page.getByTestId('intro-method-wanda')).toBeAttached();
    const paper = page.getByTestId('intro-method-sleb').locator('a');
    await expect(paper).toHaveAttribute('target', '_blank');
    await expect(paper).toHaveAttribute('rel', 'noreferrer');
    await page.screenshot({ path: `${screensDir}/intro-01-first-screen.png` });
    await page.getByTestId('intro-methods').locator('summary').click();
    await page.getByTestId('intro-glossary').locator('summary').click();
    await expect(page.getByTestId('intro-method-wanda')).toBeVisible();
    await intro.screenshot({ path: `${screensDir}/intro-02-open.png` });
    expect(await unnamedControls(page)).toEqual([]);
    const violations = await axeViolations(page);
    if (violations.length > 0) console.log(`axe, first screen:\n${violations.join('\n')}`);
    expect(violations).toEqual([]);
  });

  test('Enter on the focused Run button starts a run; after it, still no axe violations, and Tab reaches the picker, Run (within 10 stops) and the Runs panel in order', async ({ page, lab: _demo }) => {
    await fillQuickPrune(page, { methodId: 'drop-blocks', params: { blocks: '2' } });
    const rows = page.getByTestId('run-row');
    await expect(rows).toHaveCount(0); // a fresh context: no stored runs
    await page.getByTestId('prune-run').focus();
    await page.keyboard.press('Enter');
    await expect(rows).toHaveCount(1, { timeout: 240_000 });
    await waitForPruneDone(page);
    await saveScreenshot(page, 'intro-03-after-run');
    expect(await unnamedControls(page)).toEqual([]);
    const violations = await axeViolations(page);
    if (violations.length > 0) console.log(`axe, after a run:\n${violations.join('\n')}`);
    expect(violations).toEqual([]);

    // Tab order from the top, after the run (so the Runs panel has controls).
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.evaluate(() => window.scrollTo(0, 0));
    const stops = await firstTabStops(page, ['method-picker', 'prune-run', 'runs-panel']);
    const [picker, run, runs] = [stops['method-picker'], stops['prune-run'], stops['runs-panel']];
    expect(picker, 'Tab reaches the method picker').not.toBeNull();
    expect(run, 'Tab reaches Run').not.toBeNull();
    expect(runs, 'Tab reaches the Runs panel').not.toBeNull();
    expect(picker!).toBeLessThan(run!);
    expect(run!, 'Run within 10 Tab stops from the top').toBeLessThanOrEqual(10);
    expect(run!).toBeLessThan(runs!);
  });
});
