// Vite config for the app: React, the lab worker as an ES module, onnxruntime-web's WebGPU build,
// cross-origin isolation (wasm threads), and a strict Content-Security-Policy in the built page.
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** Headers that make the page crossOriginIsolated, so SharedArrayBuffer and wasm threads work. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// Only our own origin. 'wasm-unsafe-eval' lets onnxruntime compile its wasm; blob: covers workers
// that emscripten may spawn from object URLs. Styles allow inline because uPlot positions by style.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

/** Adds the CSP meta to the built page only: the dev server injects inline scripts (React refresh). */
function cspInBuild(): Plugin {
  return {
    name: 'prunelab-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head' },
    ],
  };
}

// The worker must get the WebGPU EP build; 'onnxruntime-web-use-extern-wasm' picks its variant that
// loads the wasm glue from ort.env.wasm.wasmPaths (public/ort/, copied by scripts/copy-ort-wasm.mjs)
// instead of bundling a second 26 MB copy of the wasm into dist/assets.
const ortAlias = [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/webgpu' }];
const ortConditions = ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'development|production'];

export default defineConfig({
  base: '/',
  plugins: [react(), cspInBuild()],
  resolve: { alias: ortAlias, conditions: ortConditions },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
});
