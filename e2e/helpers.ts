// Shared e2e steps: open the lab and wait for the demo model, record every request the page makes,
// run a short evaluation, save screenshots under test-results/screens/.

import { expect, type Page } from '@playwright/test';

export const screensDir = 'test-results/screens';

export interface OpenedLab {
  /** Every URL the page (and its workers) requested. */
  requests: string[];
}

/** Opens the lab at `path` (default '/'; a query sets an experiment) and waits for the demo model. */
export async function openLab(page: Page, path = '/'): Promise<OpenedLab> {
  const requests: string[] = [];
  page.context().on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') console.log(`[browser error] ${message.text()}`);
  });
  page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));
  await page.goto(path);
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

export interface QuickPrune {
  methodId: string;
  /** The method's parameters by name: text for inputs, boolean for checkboxes. */
  params?: Record<string, string | boolean>;
  calibration?: { windows: string; seqLen: string };
  /** Held-out evaluation (windows × seqLen), or false to skip it. */
  evaluation?: { windows: string; seqLen: string } | false;
  /** Speed with tiny settings (8 + 4 tokens, 1 run), or false to skip it. */
  speed?: boolean;
  /** Generation dense and pruned (4 new tokens), or false to skip it. */
  generate?: boolean;
}

/** Fills the Prune panel for a tiny run (defaults: 1 × 64 calibration, 1 × 64 evaluation, no speed, no generation). */
export async function fillQuickPrune(page: Page, run: QuickPrune): Promise<void> {
  await page.getByTestId(`method-${run.methodId}`).check();
  await expect(page.getByTestId('method-params')).toHaveAttribute('data-method', run.methodId);
  for (const [name, value] of Object.entries(run.params ?? {})) {
    const control = page.getByTestId(`param-${name}`);
    if (typeof value === 'boolean') await control.setChecked(value);
    else await control.fill(value);
  }
  const calibration = run.calibration ?? { windows: '1', seqLen: '64' };
  await page.getByTestId('prune-calibrationWindows').fill(calibration.windows);
  await page.getByTestId('prune-calibrationSeqLen').fill(calibration.seqLen);
  const evaluation = run.evaluation ?? { windows: '1', seqLen: '64' };
  await page.getByTestId('prune-evaluate').setChecked(evaluation !== false);
  if (evaluation) {
    await page.getByTestId('prune-evalMaxWindows').fill(evaluation.windows);
    await page.getByTestId('prune-evalSeqLen').fill(evaluation.seqLen);
  }
  await page.getByTestId('prune-measureSpeed').setChecked(run.speed === true);
  if (run.speed) {
    await page.getByTestId('prune-speedPromptTokens').fill('8');
    await page.getByTestId('prune-speedGenTokens').fill('4');
    await page.getByTestId('prune-speedRuns').fill('1');
  }
  const generate = page.getByTestId('prune-generate');
  if ((await generate.count()) > 0) {
    await generate.setChecked(run.generate === true);
    if (run.generate) await page.getByTestId('prune-generateTokens').fill('4');
  }
}

/** Waits until the Prune panel's run is done without an error alert. */
export async function waitForPruneDone(page: Page): Promise<void> {
  await expect(page.getByTestId('prune-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('error-alert')).toHaveCount(0);
}
