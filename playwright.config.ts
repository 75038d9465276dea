// Playwright: the built app (vite preview on a fixed port) in Debian's Chromium with WebGPU on.
// Without a GPU, Chromium gives WebGPU a SwiftShader adapter: exact but slow, hence long timeouts.
import { execFileSync } from 'node:child_process';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './e2e/chromium-args';

// PRUNELAB_E2E_PORT lets two checkouts run their e2e suites side by side.
const port = Number(process.env.PRUNELAB_E2E_PORT ?? 4173);
// PRUNELAB_E2E_DIST serves another build folder (vite build --outDir X), for side-by-side checkouts.
const distDir = process.env.PRUNELAB_E2E_DIST ?? 'dist';

/** CHROME_PATH, else what scripts/find-chromium.mjs finds (it installs Debian chromium as root if needed). */
function chromiumPath(): string {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  const found = execFileSync(process.execPath, ['scripts/find-chromium.mjs'], { encoding: 'utf8' }).trim();
  process.env.CHROME_PATH = found; // Playwright re-reads this config in its workers.
  return found;
}

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: process.env.PRUNELAB_E2E_RESULTS ?? 'test-results/artifacts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 300_000,
  expect: { timeout: 120_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    viewport: { width: 1100, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'off',
    actionTimeout: 30_000,
    launchOptions: {
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    // The test script builds first; this only serves dist/ with the COOP/COEP headers from vite.config.ts.
    command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1 --outDir ${distDir}`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
