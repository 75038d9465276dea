// Copies the onnxruntime-web runtime files the app loads at run time (wasm + its ES-module glue)
// from node_modules into public/ort/, so the app serves them itself and never needs a CDN.
// Imports nothing from src/.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'node_modules', 'onnxruntime-web', 'dist');
const targetDir = join(root, 'public', 'ort');

// The 'onnxruntime-web/webgpu' build (our alias) loads the asyncify variant for both the WebGPU EP
// and its WASM fallback. The plain variant is what 'onnxruntime-web/wasm' would load.
const files = [
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
];

if (!existsSync(sourceDir)) {
  console.error(`copy-ort-wasm: ${sourceDir} not found; run "npm ci" first.`);
  process.exit(1);
}
mkdirSync(targetDir, { recursive: true });
for (const name of files) {
  const from = join(sourceDir, name);
  const to = join(targetDir, name);
  if (!existsSync(from)) {
    console.error(`copy-ort-wasm: ${from} is missing from the installed onnxruntime-web.`);
    process.exit(1);
  }
  const upToDate = existsSync(to) && statSync(to).size === statSync(from).size && statSync(to).mtimeMs >= statSync(from).mtimeMs;
  if (!upToDate) copyFileSync(from, to);
}
console.log(`copy-ort-wasm: ${files.length} files in public/ort/`);
