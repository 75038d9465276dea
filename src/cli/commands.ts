// The CLI's commands: one entry each, with its flags, its run and its human-readable output.

import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { Lab } from '../lab/lab';
import type { BenchResult, GenerateResult, ModelSummary, PerplexityResult, Stat } from '../lab/lab-api';
import { intFlag, stringFlag, type ParsedArgs } from './args';
import { readModelDir } from './read-model-dir';
import { formatMethods, formatPrune, runMethods, runPrune } from './prune-commands';

type Log = (line: string) => void;

export interface Command {
  usage: string;
  run(lab: Lab, args: ParsedArgs, log: Log): Promise<unknown>;
  format(result: never): string;
}

async function loadModel(lab: Lab, args: ParsedArgs, log: Log): Promise<ModelSummary> {
  const dir = stringFlag(args, 'model');
  const files = await readModelDir(dir);
  let lastStage = '';
  const summary = await lab.loadModel(files, {
    onProgress: (p) => {
      if (p.stage !== lastStage) log(`[load] ${p.stage}: ${p.message}`);
      lastStage = p.stage;
    },
  });
  const check = summary.importCheck;
  log(
    `[load] ${summary.name}: ${summary.numLayers} layers, ${(summary.parameters / 1e6).toFixed(3)}M parameters, ${summary.layout}` +
      (check ? `, import check max |Δlogit| ${check.maxAbsDiff.toExponential(2)}` : ''),
  );
  return summary;
}

function readText(file: string): { kind: 'file'; name: string; text: string } {
  try {
    return { kind: 'file', name: path.basename(file), text: fs.readFileSync(file, 'utf8') };
  } catch {
    throw new LabError('missing-file', `${file}: no such text file`);
  }
}

const stat = (s: Stat, digits = 2) => `${s.median.toFixed(digits)} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;

export const commands: Record<string, Command> = {
  info: {
    usage: '--model <dir>                       the model card, with the import check',
    run: (lab, args, log) => loadModel(lab, args, log),
    format: (s: ModelSummary) => JSON.stringify(s, null, 2),
  },
  eval: {
    usage: '--model <dir> --text <file> [--seq-len 256] [--max-windows N]   perplexity',
    async run(lab, args, log) {
      await loadModel(lab, args, log);
      const text = readText(stringFlag(args, 'text'));
      const result = await lab.evaluatePerplexity(
        { text, seqLen: intFlag(args, 'seq-len', 256, 2), maxWindows: intFlag(args, 'max-windows', undefined) },
        { onProgress: (p) => log(`[eval] window ${p.windowsDone}/${p.windows} running ppl ${p.runningPpl.toFixed(4)}`) },
      );
      const { windowNlls: _perWindow, ...rest } = result;
      return rest;
    },
    format: (r: PerplexityResult) =>
      `ppl ${r.ppl.toFixed(4)} (nll ${r.nll.toFixed(5)}) over ${r.windows} windows of ${r.seqLen}, ${r.tokensScored} tokens scored, ${r.tokensScoredPerS.toFixed(0)} tokens scored/s`,
  },
  bench: {
    usage: '--model <dir> [--prompt-tokens 128] [--gen-tokens 64] [--runs 5]   prefill and decode speed',
    async run(lab, args, log) {
      await loadModel(lab, args, log);
      return lab.benchmark(
        {
          promptTokens: intFlag(args, 'prompt-tokens', 128),
          genTokens: intFlag(args, 'gen-tokens', 64),
          runs: intFlag(args, 'runs', 5),
          warmupRuns: intFlag(args, 'warmup-runs', 1, 0),
        },
        { onProgress: (p) => log(`[bench] ${p.phase} run ${p.run}/${p.runs}`) },
      );
    },
    format: (r: BenchResult) =>
      [
        `backend ${r.backend}${r.adapter ? ` (${r.adapter})` : ''}, ${r.runs} runs`,
        `prefill ${r.promptTokens} tokens: ${stat(r.prefillMs)} ms, ${stat(r.prefillTokensPerS, 1)} tokens/s`,
        `decode ${r.genTokens} tokens: ${stat(r.decodeMsPerToken)} ms/token, ${stat(r.decodeTokensPerS, 1)} tokens/s`,
      ].join('\n'),
  },
  methods: {
    usage: '                                    the pruning methods with their parameters and defaults',
    run: (lab) => runMethods(lab),
    format: formatMethods,
  },
  prune: {
    usage:
      '--model <dir> --method <id> [--ratio r | --blocks k | --blocks 1,3] [--base wanda] [--n 2 --m 4] [--calib <file>] [--calib-windows 64] [--calib-sample first|random] [--seed 0] [--seq-len 256] [--eval <file>] [--eval-windows N] [--out <dir> [--format safetensors|transformers.js|both]]   prune, evaluate, export',
    async run(lab, args, log) {
      const summary = await loadModel(lab, args, log);
      return runPrune(lab, args, log, summary.numLayers);
    },
    format: formatPrune,
  },
  generate: {
    usage: '--model <dir> --prompt <text> [--max-new-tokens 40]   greedy generation',
    async run(lab, args, log) {
      await loadModel(lab, args, log);
      return lab.generate({ prompt: stringFlag(args, 'prompt'), maxNewTokens: intFlag(args, 'max-new-tokens', 40) });
    },
    format: (r: GenerateResult) => r.text,
  },
};
