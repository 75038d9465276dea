// Decode tokens/s under transformers.js of the EXPORTED block-removed model against the exported
// dense model (both written by Lab.exportModel, transformers.js format, fp32), same run, alternating
// dense/pruned run by run, compared with the ideal ratio blocks before / after. Node only.
//   npx tsx bench/export-speed.ts [--model stories260k|smollm2-135m-random] [--prompt-tokens 32]
//     [--gen-tokens 64] [--runs 5] [--threads 1]

import fs from 'node:fs';
import path from 'node:path';
import { syntheticPrompt } from '../src/evaluation/benchmark';
import { Lab } from '../src/lab/lab';
import type { ExportedFile } from '../src/lab/lab-api';
import { ensureModelFolders, intFlag, log, machineInfo, modelFlag, OUT_DIR, parseFlags, printResult, round, roundStat, stat } from './common';
import { loadTheirModel, type TheirModel } from './transformers-side';

async function writeFolder(dir: string, files: ExportedFile[]): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), new Uint8Array(await f.blob.arrayBuffer()));
  }
}

async function main() {
  const flags = parseFlags();
  const model = modelFlag(flags);
  const P = intFlag(flags, 'prompt-tokens', 32);
  const G = intFlag(flags, 'gen-tokens', 64);
  const runs = intFlag(flags, 'runs', 5);
  const threads = intFlag(flags, 'threads', 1);
  const folders = await ensureModelFolders(model, log);
  const lab = new Lab({ preferWebGpu: false, numThreads: threads, loadText: async () => 'unused' });
  const summary = await lab.loadModel(await folders.oursFiles());
  const L = summary.numLayers;
  const removeCount = Math.ceil(0.2 * L);
  // Drop-blocks (data-free; which blocks does not change speed): the last blocks but the final one.
  const blocks = Array.from({ length: removeCount }, (_, i) => L - 1 - removeCount + i);
  log(`${model}: ${L} blocks, removing ${blocks.join(',')}`);
  await lab.prune({ methodId: 'drop-blocks', params: { blocks: blocks.join(',') }, calibration: { text: { kind: 'bundled', id: 'tinystories' } } });
  const root = path.join(OUT_DIR, `export-speed-${model}`);
  const sides: { name: 'dense' | 'pruned'; dir: string; model?: TheirModel; decode: number[] }[] = [
    { name: 'dense', dir: path.join(root, 'dense'), decode: [] },
    { name: 'pruned', dir: path.join(root, 'pruned'), decode: [] },
  ];
  for (const side of sides) {
    const files = await lab.exportModel({ which: side.name === 'dense' ? 'loaded' : 'pruned', format: 'transformers.js', onnxDtypes: ['fp32'] });
    await writeFolder(side.dir, files);
    side.model = await loadTheirModel(side.dir, threads);
  }
  await lab.dispose();
  const prompt = syntheticPrompt(P, summary.vocabSize);
  for (const side of sides) await side.model!.generate(prompt, Math.min(8, G)); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const side of sides) {
      const g = await side.model!.generate(prompt, G);
      side.decode.push(1000 / g.decodeMsPerToken);
      log(`run ${r + 1}/${runs} ${side.name}: ${(1000 / g.decodeMsPerToken).toFixed(1)} tok/s`);
    }
  }
  for (const side of sides) await side.model!.dispose();
  const [dense, pruned] = sides.map((s) => stat(s.decode));
  const measured = pruned.median / dense.median;
  const ideal = L / (L - removeCount);
  printResult(`export-speed-${model}`, {
    bench: 'export-speed',
    model,
    runtime: 'transformers.js AutoModelForCausalLM on our onnxruntime-web (wasm), fp32 ONNX written by Lab.exportModel',
    blocksBefore: L,
    blocksAfter: L - removeCount,
    removedBlocks: blocks,
    promptTokens: P,
    genTokens: G,
    runs,
    decodeTokensPerS: { dense: roundStat(dense, 1), pruned: roundStat(pruned, 1) },
    speedup: round(measured, 3),
    idealSpeedup: round(ideal, 3),
    fractionOfIdeal: round(measured / ideal, 3),
    goalMet: measured / ideal >= 0.9,
    machine: machineInfo(threads),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
