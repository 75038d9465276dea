// Finds a Chromium for the e2e tests (Playwright never downloads its own browser here) and prints
// its path. Order: $CHROME_PATH, system chromium/chrome, Playwright's cache; as root with apt-get,
// installs Debian's chromium. Exits non-zero with a message when none can be had. Imports nothing from src/.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const systemCandidates = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

function onPath(name) {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found || null;
  } catch {
    return null;
  }
}

function fromPlaywrightCache() {
  const cacheDir = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  if (!existsSync(cacheDir)) return null;
  const dirs = readdirSync(cacheDir).filter((d) => d.startsWith('chromium')).sort().reverse();
  for (const dir of dirs) {
    for (const rel of ['chrome-linux64/chrome', 'chrome-linux/chrome']) {
      const candidate = join(cacheDir, dir, rel);
      if (existsSync(candidate)) return candidate;
    }
  }
  return null;
}

/** The path of a usable Chromium, or null. Never installs anything. */
export function locateChromium() {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const candidate of systemCandidates) if (existsSync(candidate)) return candidate;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = onPath(name);
    if (found) return found;
  }
  return fromPlaywrightCache();
}

function installWithApt() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) return false;
  console.error('find-chromium: no Chromium found; installing Debian chromium with apt-get ...');
  execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium', {
    stdio: ['ignore', process.stderr, process.stderr],
  });
  return true;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (process.env.CHROME_PATH && !existsSync(process.env.CHROME_PATH)) {
    console.error(`find-chromium: CHROME_PATH=${process.env.CHROME_PATH} does not exist; looking elsewhere.`);
  }
  let path = locateChromium();
  if (!path && installWithApt()) path = locateChromium();
  if (!path) {
    console.error(
      'find-chromium: no Chromium found. Install one (Debian: "apt-get install chromium") or set CHROME_PATH to its executable.',
    );
    process.exit(1);
  }
  console.log(path);
}
