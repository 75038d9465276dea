// Builds the transformers.js peer page into a folder of its own (vite's build API with
// bench/transformers-page/vite.config.ts; ~1 s). Node only; bench and e2e.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const PEER_PAGE_DIST = '/tmp/dist-transformers-page';

export async function buildPeerPage(outDir = PEER_PAGE_DIST): Promise<string> {
  const configFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'vite.config.ts');
  await build({ configFile, build: { outDir, emptyOutDir: true } });
  return outDir;
}
