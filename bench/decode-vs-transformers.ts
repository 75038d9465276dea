// Prefill and decode tokens/s: our engine (rebuilt folded graph, KV cache) against transformers.js
// running the model's ONNX file, same prompt ids, exactly G new tokens each, measured alternately.
// --runtime same-runtime (default): both on onnxruntime-web wasm, same threads.
// --runtime defaults: each as a Node user gets it: ours = the CLI's default (onnxruntime-node cpu, all
// cores), theirs = transformers.js's Node default (onnxruntime-node, device 'cpu'). Node only.
//   npx tsx bench/decode-vs-transformers.ts [--model stories260k|smollm2-135m-random] [--runtime same-runtime|defaults]
//     [--prompt-tokens 128] [--gen-tokens 64] [--runs 5] [--warmup-runs 1] [--threads 1]

import path from 'node:path';
import { syntheticPrompt } from '../src/evaluation/benchmark';
import { argmax } from '../src/evaluation/generate';
import { loadModelFromFiles } from '../src/model/load-model';
import { createEngine, type Engine } from '../src/runtime/engine';
import { useNativeOrt } from '../src/runtime/native-ort';
import { configureOrt } from '../src/runtime/ort';
import { ensureModelFolders, intFlag, log, machineInfo, modelFlag, parseFlags, printResult, round, roundStat, stat, type ModelId } from './common';
import { loadTheirModel, type TheirRuntime, type TimedGeneration } from './transformers-side';

export interface DecodeBenchOptions {
  model: ModelId;
  promptTokens: number;
  genTokens: number;
  runs: number;
  warmupRuns: number;
  threads: number;
  runtime: TheirRuntime;
}

/** Same timing points as the transformers.js side: prefill ends when the first new token is known. */
async function oursGenerate(engine: Engine, prompt: number[], G: number): Promise<TimedGeneration> {
  const started = performance.now();
  let token = argmax(await engine.prefill(prompt));
  const first = performance.now();
  const ids = [token];
  for (let g = 1; g < G; g++) {
    token = argmax(await engine.step(token));
    ids.push(token);
  }
  const last = performance.now();
  return { prefillMs: first - started, decodeMsPerToken: G > 1 ? (last - first) / (G - 1) : NaN, newTokenIds: ids };
}

function summarize(runs: TimedGeneration[], P: number) {
  const prefillMs = stat(runs.map((r) => r.prefillMs));
  const decodeMs = stat(runs.map((r) => r.decodeMsPerToken));
  return {
    prefillMs: roundStat(prefillMs),
    prefillTokensPerS: roundStat(stat(runs.map((r) => (P * 1000) / r.prefillMs)), 1),
    decodeMsPerToken: roundStat(decodeMs),
    decodeTokensPerS: roundStat(stat(runs.map((r) => 1000 / r.decodeMsPerToken)), 1),
  };
}

export async function runDecodeBench(o: DecodeBenchOptions): Promise<Record<string, unknown>> {
  configureOrt({ numThreads: o.threads });
  const folders = await ensureModelFolders(o.model, log);
  const loaded = await loadModelFromFiles(await folders.oursFiles());
  const { vocabSize, maxPositionEmbeddings } = loaded.spec.config;
  if (o.promptTokens + o.genTokens > maxPositionEmbeddings) throw new Error(`prompt + gen tokens exceed the context of ${maxPositionEmbeddings}`);
  if (o.genTokens < 2) throw new Error('--gen-tokens must be ≥ 2 (decode is timed from the first to the last new token)');
  const prompt = syntheticPrompt(o.promptTokens, vocabSize);

  log(`${o.model}: creating our engine and loading transformers.js (${path.relative(process.cwd(), folders.onnxDir)}/onnx/model.onnx)`);
  const native = o.runtime === 'defaults';
  if (native && !useNativeOrt()) throw new Error('onnxruntime-node could not be loaded');
  const engine = await createEngine(loaded.spec, { backend: native ? 'cpu' : 'wasm' });
  const theirs = await loadTheirModel(folders.onnxDir, o.threads, o.runtime);

  for (let w = 0; w < o.warmupRuns; w++) {
    log(`warm-up ${w + 1}/${o.warmupRuns}`);
    await oursGenerate(engine, prompt, o.genTokens);
    await theirs.generate(prompt, o.genTokens);
  }
  const ours: TimedGeneration[] = [];
  const their: TimedGeneration[] = [];
  for (let r = 0; r < o.runs; r++) {
    // Alternate the order too, so neither side always runs right after the other's allocations.
    const pair = r % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
    for (const side of pair) {
      if (side === 'ours') ours.push(await oursGenerate(engine, prompt, o.genTokens));
      else their.push(await theirs.generate(prompt, o.genTokens));
    }
    log(`run ${r + 1}/${o.runs}: ours prefill ${ours[r].prefillMs.toFixed(0)} ms, decode ${ours[r].decodeMsPerToken.toFixed(1)} ms/tok; ` +
      `theirs prefill ${their[r].prefillMs.toFixed(0)} ms, decode ${their[r].decodeMsPerToken.toFixed(1)} ms/tok`);
  }
  await engine.dispose();
  await theirs.dispose();

  const a = summarize(ours, o.promptTokens);
  const b = summarize(their, o.promptTokens);
  const sameIds = ours[0].newTokenIds.findIndex((id, i) => id !== their[0].newTokenIds[i]);
  return {
    benchmark: 'decode-vs-transformers',
    model: o.model,
    machine: machineInfo(o.threads),
    runtime: native
      ? 'defaults: ours onnxruntime-node cpu EP (the CLI default, all cores); theirs transformers.js Node default (onnxruntime-node, device cpu)'
      : `same-runtime: both onnxruntime-web wasm EP, ${o.threads} thread(s)`,
    promptTokens: o.promptTokens,
    genTokens: o.genTokens,
    runs: o.runs,
    warmupRuns: o.warmupRuns,
    order: 'alternating (ours, theirs, then theirs, ours, ...) after warm-up of both',
    ours: { what: 'our engine: rebuilt graph (fold: true, last-position logits), KV cache', ...a },
    theirs: { what: `transformers.js ${'AutoModelForCausalLM'} generate, greedy, min_new_tokens = max_new_tokens`, onnx: folders.onnxOrigin, ...b },
    ratioOursOverTheirs: {
      prefillTokensPerS: round(a.prefillTokensPerS.median / b.prefillTokensPerS.median, 3),
      decodeTokensPerS: round(a.decodeTokensPerS.median / b.decodeTokensPerS.median, 3),
    },
    timing: 'prefill = call → first new token known (incl. argmax/sampling); decode = first → last new token, per token (G − 1 steps)',
    newTokensEachSide: { ours: ours[0].newTokenIds.length, theirs: their[0].newTokenIds.length },
    greedyTokensAgree: sameIds === -1 ? `all ${o.genTokens}` : `first ${sameIds} of ${o.genTokens}`,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const f = parseFlags();
  const result = await runDecodeBench({
    model: modelFlag(f),
    promptTokens: intFlag(f, 'prompt-tokens', 128),
    genTokens: intFlag(f, 'gen-tokens', 64),
    runs: intFlag(f, 'runs', 5),
    warmupRuns: intFlag(f, 'warmup-runs', 1),
    threads: intFlag(f, 'threads', 1),
    runtime: f.get('runtime') === 'defaults' ? 'defaults' : 'same-runtime',
  });
  printResult(`decode-vs-transformers-${result.model}`, result);
}
