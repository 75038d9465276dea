// Shared e2e steps: open the lab and wait for the demo model, record every request the page makes,
// run a short evaluation, save screenshots under test-results/screens/.

import { expect, type Page } from '@playwright/test';

export const screensDir = 'test-results/screens';

export interface OpenedLab {
  /** Every URL the page (and its workers) requested. */
  requests: string[];
}

export async function openLab(page: Page): Promise<OpenedLab> {
  const requests: string[] = [];
  page.context().on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') console.log(`[browser error] ${message.text()}`);
  });
  page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));
  await page.goto('/');
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('model-card')).toBeVisible();
  return { requests };
}

/** URLs that left the page's origin (blob: and data: URLs never leave the machine). */
export function foreignRequests(requests: string[], baseURL: string): string[] {
  const origin = new URL(baseURL).origin;
  return requests.filter((url) => !url.startsWith('blob:') && !url.startsWith('data:') && new URL(url).origin !== origin);
}

export async function runEvaluation(page: Page, options: { maxWindows: string; seqLen?: string }): Promise<void> {
  await page.getByTestId('eval-seq-len').fill(options.seqLen ?? '256');
  await page.getByTestId('eval-max-windows').fill(options.maxWindows);
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
}

export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screensDir}/${name}.png`, fullPage: true });
}
