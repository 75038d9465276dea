// The CLI's `finetune` command: recovery fine-tuning of a model folder (LoRA by default, --full for every
// block weight) on a text file, held-out perplexity before and after, --out → HF folder. Progress is one
// JSON object per line on stderr; the result (with --json) the last line of stdout.

import type { Lab } from '../lab/lab';
import type { FinetuneResult } from '../lab/lab-api';
import { boolFlag, intFlag, numberFlag, stringFlag, type ParsedArgs } from './args';
import { loadModel, readText, type Log } from './cli-inputs';
import { writeExportFlag } from './prune-commands';

export const FINETUNE_USAGE =
  '--model <dir> --text <file> --steps N [--lora-rank 8] [--lora-alpha 16] [--full] [--train-embeddings] [--lr X] [--batch 8] [--seq-len 128] [--micro-batches 1] [--warmup-steps N] [--eval-windows 16] [--seed 0] [--out <dir>] [--format safetensors|transformers.js|both]   recovery fine-tuning';

export type FinetuneOutput = Omit<FinetuneResult, 'trace'> & { trace: FinetuneResult['trace']; out?: string; format?: string };

export async function runFinetune(lab: Lab, args: ParsedArgs, log: Log): Promise<FinetuneOutput> {
  await loadModel(lab, stringFlag(args, 'model'), log);
  const full = boolFlag(args, 'full');
  const result = await lab.finetune(
    {
      which: 'loaded',
      text: readText(stringFlag(args, 'text')),
      steps: intFlag(args, 'steps', undefined)!,
      batch: intFlag(args, 'batch', undefined),
      seqLen: intFlag(args, 'seq-len', undefined, 2),
      microBatches: intFlag(args, 'micro-batches', undefined),
      lr: numberFlag(args, 'lr', undefined, 0, 1),
      warmupSteps: intFlag(args, 'warmup-steps', undefined, 0),
      lora: full ? null : { rank: intFlag(args, 'lora-rank', 8)!, alpha: numberFlag(args, 'lora-alpha', 16)! },
      trainEmbeddings: boolFlag(args, 'train-embeddings'),
      evalWindows: intFlag(args, 'eval-windows', undefined, 0),
      seed: intFlag(args, 'seed', undefined, 0),
    },
    { onProgress: (p) => log(JSON.stringify({ phase: p.phase, fraction: Number(p.fraction.toFixed(4)), message: p.message, ...(p.step ?? {}) })) },
  );
  const written = await writeExportFlag(lab, args, 'finetuned', (line) => log(JSON.stringify({ phase: 'export', message: line })));
  return { ...result, ...(written ?? {}) };
}

export function formatFinetune(r: FinetuneOutput): string {
  const lines = [
    `${r.mode === 'lora' ? `LoRA rank ${r.lora!.rank}, alpha ${r.lora!.alpha}${r.lora!.masked ? ' (masked: pruned weights stay zero)' : ''}` : 'full fine-tuning of the block weights'}: ` +
      `${r.trainedParameters} values trained, ${r.steps}/${r.stepsRequested} steps of ${r.batch * r.microBatches} × ${r.seqLen} tokens, ${r.tokensPerS.toFixed(0)} tokens/s on ${r.backend}`,
    `loss ${r.trace[0]?.loss.toFixed(4) ?? '-'} → ${r.trace.at(-1)?.loss.toFixed(4) ?? '-'}`,
  ];
  if (r.pplBefore && r.pplAfter) lines.push(`held-out ppl ${r.pplBefore.ppl.toFixed(4)} → ${r.pplAfter.ppl.toFixed(4)} (${r.pplAfter.windows} windows of ${r.pplAfter.seqLen}, ${r.pplAfter.textName})`);
  if (r.out) lines.push(`wrote ${r.out}`);
  return lines.join('\n');
}
