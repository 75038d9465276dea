// The transformers.js peer page (bench/transformers-page), built on its own:
//   vite build --config bench/transformers-page/vite.config.ts --outDir /tmp/dist-transformers-page
// transformers.js resolves its own onnxruntime-web (a 1.31 dev build, nested under its node_modules);
// 'onnxruntime-web-use-extern-wasm' picks the variant that loads the wasm glue from wasmPaths (served by
// bench/transformers-page/serve.ts at /tjs-ort/) instead of inlining it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'development|production'] },
  build: { target: 'es2022', outDir: '/tmp/dist-transformers-page', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
});
