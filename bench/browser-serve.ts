// Serving the built lab to a real Chromium for the browser benches (browser-memory, browser-speed): build
// into a folder of its own (so a running e2e suite's dist/ is untouched) and `vite preview` it on a port.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { log } from './common';

export interface ServeOptions {
  port: number;
  dist: string;
}

export async function startPreview(o: ServeOptions): Promise<ChildProcess> {
  const vite = path.resolve('node_modules/.bin/vite');
  const child = spawn(vite, ['preview', '--outDir', o.dist, '--port', String(o.port), '--strictPort', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${o.port}/`;
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}): ${output.trim().slice(-500)}`);
    try {
      const r = await fetch(url);
      if (r.ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`vite preview did not answer on ${url}: ${output.trim().slice(-500)}`);
}

export function stopPreview(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGTERM'); // its own process group (detached)
  } catch {
    // already gone
  }
}

export function build(o: ServeOptions): void {
  log(`building the lab into ${o.dist}`);
  const copy = spawnSync(process.execPath, ['scripts/copy-ort-wasm.mjs'], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`copy-ort-wasm failed: ${copy.stderr}`);
  const vite = spawnSync(path.resolve('node_modules/.bin/vite'), ['build', '--outDir', o.dist, '--emptyOutDir'], { encoding: 'utf8' });
  if (vite.status !== 0) throw new Error(`vite build failed: ${(vite.stderr || vite.stdout).slice(-2000)}`);
}

