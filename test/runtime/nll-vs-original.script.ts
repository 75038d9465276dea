// Quick speed comparison (not a test): our nll graph vs the original Optimum ONNX on the same
// windows, wasm backend. Run: npx tsx test/runtime/nll-vs-original.script.ts [threads] [windows]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../src/runtime/engine';
import { configureOrt, createSession, int64Tensor, ort } from '../../src/runtime/ort';
import { cutWindows } from '../../src/evaluation/perplexity';
import { loadStories260K, STORIES_DIR, tinyStoriesIds } from '../oracles/stories260k';

const threads = Number(process.argv[2] ?? 1);
const n = Number(process.argv[3] ?? 40);
configureOrt({ numThreads: threads });
const spec = loadStories260K();
const windows = cutWindows(tinyStoriesIds(), 256, n);

const ours = await createEngine(spec, { backend: 'wasm', maxBatchTokens: Number(process.env.MBT ?? 2048) });
await ours.scoreWindows(windows.slice(0, 1)); // warm-up (session creation)
let t0 = performance.now();
const oursNll = await ours.scoreWindows(windows);
const oursMs = performance.now() - t0;

const original = await createSession(readFileSync(join(STORIES_DIR, 'onnx/model.onnx')), { backend: 'wasm' });
async function originalScore(batch: Int32Array[]): Promise<number[]> {
  const B = batch.length, L = batch[0].length, V = spec.config.vocabSize;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64Tensor(batch.flatMap((w) => [...w]), [B, L]),
    attention_mask: int64Tensor(new Array(B * L).fill(1), [B, L]),
    position_ids: int64Tensor(batch.flatMap(() => Array.from({ length: L }, (_, t) => t)), [B, L]),
  };
  spec.layers.forEach((l, i) => { for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [B, l.numKvHeads, 0, l.headDim]); });
  const logits = (await original.run(feeds)).logits.data as Float32Array;
  return batch.map((w, b) => {
    let s = 0;
    for (let t = 0; t < L - 1; t++) {
      const row = logits.subarray((b * L + t) * V, (b * L + t + 1) * V);
      let m = -Infinity; for (const v of row) m = Math.max(m, v);
      let z = 0; for (const v of row) z += Math.exp(v - m);
      s += m + Math.log(z) - row[w[t + 1]];
    }
    return s / (L - 1);
  });
}
await originalScore(windows.slice(0, 1));
const report: Record<string, unknown> = { threads, windows: windows.length };
for (const batch of [1, 16]) {
  t0 = performance.now();
  const origNll: number[] = [];
  for (let s = 0; s < windows.length; s += batch) origNll.push(...(await originalScore(windows.slice(s, s + batch))));
  const ms = performance.now() - t0;
  report[`originalBatch${batch}`] = { msPerWindow: ms / windows.length, tokensPerS: (windows.length * 256) / (ms / 1000), maxNllDiff: Math.max(...origNll.map((v, i) => Math.abs(v - oursNll[i]))) };
}
report.ours = { msPerWindow: oursMs / windows.length, tokensPerS: (windows.length * 256) / (oursMs / 1000) };
console.log(JSON.stringify(report, null, 1));
