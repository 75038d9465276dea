// Perplexity speed: our rebuilt nll graph (NLL computed in the graph) against the model's ONNX file
// run for logits with the NLL computed in JS; same runtime/backend/threads, same windows, same
// batching, same accounting (evaluation/perplexity). Also checks both give the same ppl. Node only.
//   npx tsx bench/ppl-speed.ts [--model stories260k|smollm2-135m-random] [--windows N] [--seq-len 256]
//     [--runs 2] [--threads 1] [--their-batch-windows K]

import fs from 'node:fs';
import path from 'node:path';
import { syntheticPrompt } from '../src/evaluation/benchmark';
import { cutWindows, evaluatePerplexity, type WindowScorer } from '../src/evaluation/perplexity';
import { loadModelFromFiles } from '../src/model/load-model';
import type { ModelSpec } from '../src/model/model-spec';
import { createEngine } from '../src/runtime/engine';
import { configureOrt, createSession, int64Tensor, ort } from '../src/runtime/ort';
import { createTextTokenizer } from '../src/tokenizer/text-tokenizer';
import { ensureModelFolders, intFlag, log, machineInfo, modelFlag, parseFlags, printResult, round, roundStat, stat, type ModelId } from './common';

export interface PplBenchOptions {
  model: ModelId;
  windows: number;
  seqLen: number;
  runs: number;
  threads: number;
  /** Windows per run of the original graph (default: the same as our engine's batch). */
  theirBatchWindows?: number;
}

interface InputMeta {
  name: string;
  type?: string;
  shape?: (number | string)[];
}

/** Scores windows with a decoder ONNX file that outputs logits [B, L, vocab]: NLL in JS. */
async function originalScorer(onnxFile: string, spec: ModelSpec, perBatch: number): Promise<WindowScorer & { release(): Promise<void> }> {
  const session = await createSession(new Uint8Array(fs.readFileSync(onnxFile)), { backend: 'wasm' });
  const metadata = (session as unknown as { inputMetadata?: InputMeta[] }).inputMetadata ?? [];
  const V = spec.config.vocabSize;
  return {
    backend: 'wasm',
    windowsPerBatch: () => perBatch,
    async scoreWindows(windows) {
      const means: number[] = [];
      for (let start = 0; start < windows.length; start += perBatch) {
        const batch = windows.slice(start, start + perBatch);
        const B = batch.length;
        const L = batch[0].length;
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of session.inputNames) {
          if (name === 'input_ids') feeds[name] = int64Tensor(batch.flatMap((w) => Array.from(w)), [B, L]);
          else if (name === 'attention_mask') feeds[name] = int64Tensor(new Array<number>(B * L).fill(1), [B, L]);
          else if (name === 'position_ids') feeds[name] = int64Tensor(batch.flatMap(() => Array.from({ length: L }, (_, t) => t)), [B, L]);
          else if (/^past_key_values\.\d+\.(key|value)$/.test(name)) {
            const shape = metadata.find((m) => m.name === name)?.shape;
            if (!shape || typeof shape[1] !== 'number' || typeof shape[3] !== 'number') throw new Error(`${onnxFile}: ${name} has no fixed kv-heads/head-dim`);
            feeds[name] = new ort.Tensor('float32', new Float32Array(0), [B, shape[1], 0, shape[3]]);
          } else throw new Error(`${onnxFile}: unknown input ${name}`);
        }
        const out = await session.run(feeds);
        const logits = out.logits.data as Float32Array;
        for (let b = 0; b < B; b++) {
          let s = 0;
          for (let t = 0; t < L - 1; t++) {
            const row = logits.subarray((b * L + t) * V, (b * L + t + 1) * V);
            let m = -Infinity;
            for (let i = 0; i < V; i++) if (row[i] > m) m = row[i];
            let z = 0;
            for (let i = 0; i < V; i++) z += Math.exp(row[i] - m);
            s += m + Math.log(z) - row[batch[b][t + 1]];
          }
          means.push(s / (L - 1));
        }
        for (const t of Object.values(out)) t.dispose();
      }
      return means;
    },
    release: () => session.release(),
  };
}

export async function runPplBench(o: PplBenchOptions): Promise<Record<string, unknown>> {
  configureOrt({ numThreads: o.threads });
  const folders = await ensureModelFolders(o.model, log);
  const loaded = await loadModelFromFiles(await folders.oursFiles());
  const { spec } = loaded;
  let ids: number[];
  let textName: string;
  if (o.model === 'stories260k') {
    textName = 'public/data/tinystories-valid-sample.txt';
    ids = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig).encode(fs.readFileSync(textName, 'utf8'));
  } else {
    textName = 'synthetic ids (syntheticPrompt): the random model has no real vocabulary';
    ids = syntheticPrompt(o.windows * o.seqLen, spec.config.vocabSize);
  }
  const windows = cutWindows(ids, o.seqLen, o.windows);
  const ours = await createEngine(spec, { backend: 'wasm' });
  const perBatch = o.theirBatchWindows ?? ours.windowsPerBatch(o.seqLen);
  const onnxFile = path.join(folders.onnxDir, 'onnx', 'model.onnx');
  log(`${o.model}: ${windows.length} windows of ${o.seqLen}; ours ${ours.windowsPerBatch(o.seqLen)} windows/run, original ${perBatch} windows/run`);
  const theirs = await originalScorer(onnxFile, spec, perBatch);

  // Warm-up: session creation and first run of both, on one batch.
  const warmStart = performance.now();
  await ours.scoreWindows(windows.slice(0, ours.windowsPerBatch(o.seqLen)));
  const oursWarmMs = performance.now() - warmStart;
  const theirWarmStart = performance.now();
  await theirs.scoreWindows(windows.slice(0, perBatch));
  const theirWarmMs = performance.now() - theirWarmStart;

  const runsOurs: { ms: number; ppl: number; nlls: number[] }[] = [];
  const runsTheirs: typeof runsOurs = [];
  const seqIds = Int32Array.from(windows.flatMap((w) => Array.from(w)));
  for (let r = 0; r < o.runs; r++) {
    const pair = r % 2 === 0 ? ([ours, theirs] as const) : ([theirs, ours] as const);
    for (const scorer of pair) {
      const res = await evaluatePerplexity(scorer, seqIds, { seqLen: o.seqLen, maxWindows: o.windows });
      (scorer === ours ? runsOurs : runsTheirs).push({ ms: res.elapsedMs, ppl: res.ppl, nlls: res.windowNlls });
    }
    log(`run ${r + 1}/${o.runs}: ours ${runsOurs[r].ms.toFixed(0)} ms (ppl ${runsOurs[r].ppl.toFixed(4)}), original ${runsTheirs[r].ms.toFixed(0)} ms (ppl ${runsTheirs[r].ppl.toFixed(4)})`);
  }
  await ours.dispose();
  await theirs.release();

  const scored = windows.length * (o.seqLen - 1);
  const side = (runs: typeof runsOurs, warmMs: number) => ({
    ms: roundStat(stat(runs.map((r) => r.ms)), 0),
    tokensScoredPerS: roundStat(stat(runs.map((r) => scored / (r.ms / 1000))), 0),
    msPerWindow: round(stat(runs.map((r) => r.ms)).median / windows.length, 2),
    firstBatchWithSessionMs: round(warmMs, 0),
    ppl: round(runs[0].ppl, 6),
  });
  const a = side(runsOurs, oursWarmMs);
  const b = side(runsTheirs, theirWarmMs);
  const maxWindowNllDiff = Math.max(...runsOurs[0].nlls.map((v, i) => Math.abs(v - runsTheirs[0].nlls[i])));
  return {
    benchmark: 'ppl-speed',
    model: o.model,
    machine: machineInfo(o.threads),
    text: textName,
    seqLen: o.seqLen,
    windows: windows.length,
    tokensScored: scored,
    runs: o.runs,
    order: 'alternating after one warm-up batch each',
    ours: { what: 'rebuilt nll graph (fold: true; per-token NLL output, no logits leave the graph)', windowsPerRun: ours.windowsPerBatch(o.seqLen), ...a },
    original: { what: `${path.relative(process.cwd(), onnxFile)}, logits output, NLL (log-softmax) in JS`, onnx: folders.onnxOrigin, windowsPerRun: perBatch, ...b },
    ratioOursOverOriginal: round(a.tokensScoredPerS.median / b.tokensScoredPerS.median, 3),
    samePpl: { ours: a.ppl, original: b.ppl, relDiff: Number((Math.abs(a.ppl - b.ppl) / b.ppl).toExponential(2)), maxWindowNllDiff: Number(maxWindowNllDiff.toExponential(2)) },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const f = parseFlags();
  const model = modelFlag(f);
  const their = f.has('their-batch-windows') ? intFlag(f, 'their-batch-windows', 1) : undefined;
  const result = await runPplBench({
    model,
    windows: intFlag(f, 'windows', model === 'stories260k' ? 64 : 8),
    seqLen: intFlag(f, 'seq-len', 256),
    runs: intFlag(f, 'runs', 2),
    threads: intFlag(f, 'threads', 1),
    theirBatchWindows: their,
  });
  printResult(`ppl-speed-${model}`, result);
}
