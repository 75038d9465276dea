// The CLI's commands: one entry each, with its flags, its run and its human-readable output.

import type { Lab } from '../lab/lab';
import type { AccuracyResult, BenchResult, GenerateResult, ModelSummary, PerplexityResult, Stat } from '../lab/lab-api';
import { choiceFlag, intFlag, stringFlag, type ParsedArgs } from './args';
import { loadModel as loadModelDir, readText, type Log } from './cli-inputs';
import { formatMethods, formatPrune, runMethods, runPrune } from './prune-commands';
import { FINETUNE_USAGE, formatFinetune, runFinetune } from './finetune-command';
import { formatLaws, LAWS_USAGE, runLaws } from './laws-command';
import { formatMerge, runRunsCommand } from './runs-merge';
import { formatSweep, runSweep } from './sweep-command';

export interface Command {
  usage: string;
  run(lab: Lab, args: ParsedArgs, log: Log): Promise<unknown>;
  format(result: never): string;
  /** Takes words after the command (`runs merge <dir>...`); others refuse them. */
  positionals?: boolean;
}

const loadModel = (lab: Lab, args: ParsedArgs, log: Log): Promise<ModelSummary> => loadModelDir(lab, stringFlag(args, 'model'), log);

const stat = (s: Stat, digits = 2) => `${s.median.toFixed(digits)} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;

type AccuracyOutput = Omit<AccuracyResult, 'scores'>;

async function runAccuracy(lab: Lab, args: ParsedArgs, log: Log): Promise<AccuracyOutput> {
  choiceFlag(args, 'task', ['hellaswag'], 'hellaswag');
  const data = args.flags.has('data') ? readText(stringFlag(args, 'data')) : ({ kind: 'bundled', id: 'hellaswag' } as const);
  const result = await lab.evaluateAccuracy(
    { data, maxItems: intFlag(args, 'max-items', undefined) },
    { onProgress: (p) => p.itemsDone % 25 === 0 && log(`[eval] item ${p.itemsDone}/${p.items} acc ${p.acc.toFixed(4)} acc_norm ${p.accNorm.toFixed(4)}`) },
  );
  const { scores: _perItem, ...rest } = result;
  return rest;
}

export const commands: Record<string, Command> = {
  info: {
    usage: '--model <dir>                       the model card, with the import check',
    run: (lab, args, log) => loadModel(lab, args, log),
    format: (s: ModelSummary) => JSON.stringify(s, null, 2),
  },
  eval: {
    usage:
      '--model <dir> --text <file> [--seq-len 256] [--max-windows N]   perplexity\n' +
      '       eval --model <dir> --task hellaswag [--data <file.jsonl>] [--max-items N]   zero-shot accuracy (acc, acc_norm); default data: the bundled first 300 HellaSwag validation items',
    async run(lab, args, log) {
      await loadModel(lab, args, log);
      if (args.flags.has('task')) return runAccuracy(lab, args, log);
      const text = readText(stringFlag(args, 'text'));
      const result = await lab.evaluatePerplexity(
        { text, seqLen: intFlag(args, 'seq-len', 256, 2), maxWindows: intFlag(args, 'max-windows', undefined) },
        {
          onProgress: (p) =>
            log(
              p.phase === 'tokenizing'
                ? `[eval] tokenizing: ${((p.charsDone ?? 0) / 1e6).toFixed(1)} of ${((p.charsTotal ?? 0) / 1e6).toFixed(1)} M characters`
                : `[eval] window ${p.windowsDone}/${p.windows} running ppl ${p.runningPpl.toFixed(4)}`,
            ),
        },
      );
      const { windowNlls: _perWindow, ...rest } = result;
      return rest;
    },
    format: (r: PerplexityResult | AccuracyOutput) =>
      'acc' in r
        ? `acc ${r.acc.toFixed(4)} ± ${r.accStderr.toFixed(4)}, acc_norm ${r.accNorm.toFixed(4)} ± ${r.accNormStderr.toFixed(4)} over ${r.items} items of ${r.dataName} (chance ${r.chance.toFixed(3)})`
        : `ppl ${r.ppl.toFixed(4)} (nll ${r.nll.toFixed(5)}) over ${r.windows} windows of ${r.seqLen}, ${r.tokensScored} tokens scored, ${r.tokensScoredPerS.toFixed(0)} tokens scored/s`,
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
      '--model <dir> --method <id> [--ratio r | --blocks k | --blocks 1,3] [--base wanda] [--n 2 --m 4] [--calib <file>] [--calib-windows 64] [--calib-sample first|random] [--seed 0] [--seq-len 256] [--eval <file>] [--eval-windows N] [--task hellaswag [--data <file.jsonl>] [--max-items N]] [--out <dir> [--format safetensors|transformers.js|both]]   prune, evaluate, export',
    async run(lab, args, log) {
      const summary = await loadModel(lab, args, log);
      return runPrune(lab, args, log, summary.numLayers);
    },
    format: formatPrune,
  },
  finetune: {
    usage: FINETUNE_USAGE,
    run: runFinetune,
    format: formatFinetune,
  },
  laws: {
    usage: LAWS_USAGE,
    run: runLaws,
    format: formatLaws,
  },
  sweep: {
    usage: '--manifest <sweep.json> [--shard i/n] --out <dir>   shard i of n of a sweep (runs with index % n = i), one JSON line per run in <dir>/runs-shard-<i>-of-<n>.jsonl; runs already there are skipped',
    run: (lab, args, log) => runSweep(lab, args, log),
    format: formatSweep,
  },
  runs: {
    usage: 'merge <dir>... --out <runs.json>   every *.jsonl under the folders → one runs file in manifest order (the lab\'s "Import runs" reads it)',
    run: (_lab, args, log) => runRunsCommand(args, log),
    format: formatMerge,
    positionals: true,
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
