// Time of each pruning method through Lab.prune, split into calibration forward passes and the
// method's own work (plan.stats), SLEB passes and sessions per removed block, and decode speed after
// removing 20% of the blocks vs dense in the same run against the ideal ratio. Node only.
//   npx tsx bench/prune-time.ts [--model stories260k|smollm2-135m-random] [--methods a,b] [--windows N]
//     [--seq-len T] [--threads 1] [--speed-runs 3] [--prompt-tokens 32] [--gen-tokens 32]

import fs from 'node:fs';
import { syntheticPrompt } from '../src/evaluation/benchmark';
import { Lab } from '../src/lab/lab';
import type { PruneResult, TextSource } from '../src/lab/lab-api';
import type { ParamValue } from '../src/pruning/method';
import { ensureModelFolders, intFlag, log, machineInfo, modelFlag, parseFlags, printResult, round, roundStat, type ModelId } from './common';

const ALL = ['magnitude', 'wanda', 'sparsegpt', 'owl', 'neuroal', 'sleb', 'shortgpt', 'drop-blocks'];
/** The 135M-shaped model: the methods that finish within a few minutes each on 2 cores. */
const LARGE_DEFAULT = ['drop-blocks', 'shortgpt', 'sleb', 'magnitude', 'wanda'];

export interface PruneTimeOptions {
  model: ModelId;
  methods: string[];
  windows: number;
  seqLen: number;
  threads: number;
  speedRuns: number;
  promptTokens: number;
  genTokens: number;
}

function paramsFor(methodId: string, layers: number): Record<string, ParamValue> {
  const k = Math.ceil(layers * 0.2); // "20%" as the SLEB latency script: ceil(L·r)
  if (methodId === 'sleb' || methodId === 'shortgpt') return { blocks: k };
  if (methodId === 'drop-blocks') return { blocks: Array.from({ length: k }, (_, i) => i + 1).join(',') };
  return { sparsity: 0.5 };
}

export async function runPruneTime(o: PruneTimeOptions): Promise<Record<string, unknown>> {
  const folders = await ensureModelFolders(o.model, log);
  const text =
    o.model === 'stories260k'
      ? fs.readFileSync('public/data/tinystories-valid-sample.txt', 'utf8')
      : syntheticPrompt(o.windows * o.seqLen + 16, 49152).map((id) => `w${id}`).join(' '); // synthetic vocabulary
  const calibText: TextSource = { kind: 'file', name: o.model === 'stories260k' ? 'tinystories-valid-sample.txt' : 'synthetic-ids.txt', text };
  const lab = new Lab({ preferWebGpu: false, numThreads: o.threads, loadText: async () => text });
  const summary = await lab.loadModel(await folders.oursFiles());
  const L = summary.numLayers;
  log(`${o.model}: ${L} blocks; ${o.windows} windows × ${o.seqLen} tokens`);
  const speedMethod = o.methods.includes('sleb') ? 'sleb' : o.methods.find((m) => m === 'drop-blocks' || m === 'shortgpt');
  const methods: Record<string, unknown>[] = [];
  let speed: Record<string, unknown> | null = null;
  for (const methodId of o.methods) {
    log(`${methodId} …`);
    const withSpeed = methodId === speedMethod;
    const r: PruneResult = await lab.prune({
      methodId,
      params: paramsFor(methodId, L),
      calibration: { text: calibText, windows: o.windows, seqLen: o.seqLen, sampling: 'first', seed: 0 },
      ...(withSpeed ? { speed: { promptTokens: o.promptTokens, genTokens: o.genTokens, runs: o.speedRuns, warmupRuns: 1 } } : {}),
    });
    const removed = r.removedBlocks.length;
    const entry: Record<string, unknown> = {
      method: methodId,
      params: r.params,
      elapsedMs: round(r.elapsedMs, 0),
      calibrationMs: round(r.stats.calibrationMs, 0),
      methodMs: round(r.stats.methodMs, 0),
      forwardPasses: round(r.stats.forwardPasses, 3),
      sessionsCreated: r.stats.sessionsCreated,
      removedBlocks: r.removedBlocks,
      overallSparsity: round(r.overallSparsity, 4),
    };
    if (removed > 0 && methodId === 'sleb') {
      entry.forwardPassesPerRemovedBlock = round(r.stats.forwardPasses / removed, 2);
      entry.sessionsPerRemovedBlock = round(r.stats.sessionsCreated / removed, 3);
    }
    methods.push(entry);
    log(`${methodId}: ${JSON.stringify(entry)}`);
    if (withSpeed && r.speedBefore && r.speedAfter) {
      const ideal = r.layersBefore / r.layersAfter;
      const decode = r.speedAfter.decodeTokensPerS.median / r.speedBefore.decodeTokensPerS.median;
      const prefill = r.speedAfter.prefillTokensPerS.median / r.speedBefore.prefillTokensPerS.median;
      speed = {
        method: methodId,
        blocks: `${r.layersBefore} → ${r.layersAfter}`,
        idealRatio: round(ideal, 3),
        dense: { prefillTokensPerS: roundStat(r.speedBefore.prefillTokensPerS, 1), decodeTokensPerS: roundStat(r.speedBefore.decodeTokensPerS, 1) },
        pruned: { prefillTokensPerS: roundStat(r.speedAfter.prefillTokensPerS, 1), decodeTokensPerS: roundStat(r.speedAfter.decodeTokensPerS, 1) },
        decodeSpeedup: round(decode, 3),
        prefillSpeedup: round(prefill, 3),
        decodeSpeedupOverIdeal: round(decode / ideal, 3),
        goalMet: decode >= 0.9 * ideal,
        protocol: `alternating dense/pruned runs (${o.speedRuns} each after 1 warm-up), prompt ${o.promptTokens}, ${o.genTokens} new tokens`,
      };
    }
  }
  await lab.dispose();
  return { bench: 'prune-time', model: o.model, blocks: L, calibration: { windows: o.windows, seqLen: o.seqLen, text: calibText.kind === 'file' ? calibText.name : '' }, machine: machineInfo(o.threads), methods, speed };
}

if (process.argv[1] && process.argv[1].endsWith('prune-time.ts')) {
  const flags = parseFlags();
  const model = modelFlag(flags);
  const small = model === 'stories260k';
  const options: PruneTimeOptions = {
    model,
    methods: (flags.get('methods') ?? (small ? ALL : LARGE_DEFAULT).join(',')).split(','),
    windows: intFlag(flags, 'windows', small ? 64 : 2),
    seqLen: intFlag(flags, 'seq-len', small ? 256 : 64),
    threads: intFlag(flags, 'threads', 1),
    speedRuns: intFlag(flags, 'speed-runs', 3),
    promptTokens: intFlag(flags, 'prompt-tokens', 32),
    genTokens: intFlag(flags, 'gen-tokens', 32),
  };
  runPruneTime(options).then(
    (result) => printResult(`prune-time-${model}`, result),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
