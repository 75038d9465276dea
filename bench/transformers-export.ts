// The lab's own transformers.js export of a model folder, unpruned (Lab.exportModel({which: 'loaded',
// format: 'transformers.js', onnxDtypes: ['fp32']}), what the page's "Convert" of the loaded model writes):
// config.json, tokenizer files, onnx/model.onnx. Cached: rewritten only when the source's weights or
// config are newer. Also our engine's greedy ids on given prompt ids (the peer's tokens are checked
// against them). Node only.
//   npx tsx bench/transformers-export.ts --model <dir> --out <dir>

import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readModelDir } from '../src/cli/read-model-dir';
import { argmax } from '../src/evaluation/generate';
import { BUNDLED_FILES } from '../src/lab/bundled-data';
import { Lab } from '../src/lab/lab';
import { loadModelFromFiles } from '../src/model/load-model';
import { createEngine } from '../src/runtime/engine';
import { useNativeOrt } from '../src/runtime/native-ort';
import { log, parseFlags } from './common';

/** Newest mtime among the files a model is made of (weights, config, tokenizer). */
function sourceMtimeMs(dir: string): number {
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(safetensors|onnx|onnx_data|json)$/.test(f));
  return Math.max(0, ...files.map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
}

export function nodeLab(): Lab {
  return new Lab({ preferWebGpu: false, numThreads: 1, loadText: (id) => readFile(`public/data/${BUNDLED_FILES[id]}`, 'utf8') });
}

/** Writes (or reuses) the transformers.js fp32 folder of `srcDir` at `outDir`; returns whether it was written now. */
export async function ensureTransformersJsExport(srcDir: string, outDir: string): Promise<{ dir: string; written: boolean; seconds: number }> {
  const graph = path.join(outDir, 'onnx', 'model.onnx');
  if (fs.existsSync(graph) && fs.statSync(graph).mtimeMs >= sourceMtimeMs(srcDir)) return { dir: outDir, written: false, seconds: 0 };
  const started = performance.now();
  log(`exporting ${srcDir} → ${outDir} (Lab.exportModel, transformers.js, fp32)`);
  const lab = nodeLab();
  let files;
  try {
    await lab.loadModel(await readModelDir(srcDir));
    files = await lab.exportModel({ which: 'loaded', format: 'transformers.js', onnxDtypes: ['fp32'] });
  } finally {
    await lab.dispose();
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const file of files) {
    const target = path.join(outDir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, new Uint8Array(await file.blob.arrayBuffer()));
  }
  return { dir: outDir, written: true, seconds: (performance.now() - started) / 1000 };
}

/** Our engine's greedy continuation of `promptIds` on the folder's weights (onnxruntime-node cpu where it loads, else wasm). */
export async function oursGreedyIds(srcDir: string, promptIds: number[], newTokens: number): Promise<{ ids: number[]; backend: string }> {
  const loaded = await loadModelFromFiles((await readModelDir(srcDir)).filter((f) => !f.path.endsWith('.onnx')));
  const backend = useNativeOrt() ? 'cpu' : 'wasm';
  const engine = await createEngine(loaded.spec, { backend });
  try {
    const ids = [argmax(await engine.prefill(promptIds))];
    while (ids.length < newTokens) ids.push(argmax(await engine.step(ids[ids.length - 1])));
    return { ids, backend };
  } finally {
    await engine.dispose();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const flags = parseFlags();
  const model = flags.get('model');
  const out = flags.get('out');
  if (!model || !out) throw new Error('usage: --model <dir> --out <dir>');
  const result = await ensureTransformersJsExport(path.resolve(model), path.resolve(out));
  console.log(JSON.stringify(result));
}
