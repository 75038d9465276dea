// README.md (a Hugging Face model card) for an exported folder: where the model came from, how it
// was pruned and measured, what the folder holds and how to load it. Pure: strings only; it takes
// plain data: the fields of a prune run it prints (lab's PruneResult has them all).

import type { BenchResult } from '../evaluation/benchmark';
import type { PerplexityResult } from '../evaluation/perplexity';
import type { ParamValue } from '../pruning/method';

/** What the card says about the prune run; lab's PruneResult extends it (export does not import lab/). */
export interface ModelCardRun {
  methodId: string;
  params: Record<string, ParamValue>;
  /** Zeros / weights over the block linear layers of the pruned model (embeddings and head excluded). */
  overallSparsity: number;
  /** Removed blocks, 0-based indices of the model before pruning, ascending. */
  removedBlocks: number[];
  parametersBefore: number;
  parametersAfter: number;
  layersBefore: number;
  layersAfter: number;
  calibration: { windows: number; seqLen: number; sampling: 'first' | 'random'; seed: number; textName: string };
  pplBefore: PerplexityResult | null;
  pplAfter: PerplexityResult | null;
  speedBefore: BenchResult | null;
  speedAfter: BenchResult | null;
  /** Said next to speed figures, e.g. that unstructured sparsity gives no speed-up on dense kernels. */
  speedNote: string;
}

/** The card's facts of a run, and nothing else (what a stored plan keeps for a later export). */
export function modelCardRunOf(run: ModelCardRun): ModelCardRun {
  const { methodId, params, overallSparsity, removedBlocks, parametersBefore, parametersAfter, layersBefore, layersAfter, calibration, pplBefore, pplAfter, speedBefore, speedAfter, speedNote } = run;
  return { methodId, params, overallSparsity, removedBlocks, parametersBefore, parametersAfter, layersBefore, layersAfter, calibration, pplBefore, pplAfter, speedBefore, speedAfter, speedNote };
}

export interface ModelCardInputs {
  source: { name: string; modelType: string; layout: string; weightsFile: string; weightsDtype: string; parameters: number; layers: number };
  /** The prune run behind the exported model; null when the model is exported as loaded. */
  prune: ModelCardRun | null;
  /** Paths in the exported folder (README.md excluded). */
  files: string[];
  format: 'safetensors' | 'transformers.js' | 'both';
  onnxDtypes: string[];
  /** Folder name used in the loading snippets. */
  folderName?: string;
}

const count = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const yaml = (s: string) => JSON.stringify(s);

function pplLine(label: string, r: PerplexityResult | null): string {
  if (!r) return `| ${label} | not measured | |`;
  return `| ${label} | ${r.ppl.toFixed(4)} | ${r.windows} windows × ${r.seqLen} tokens of ${r.textName} (${count(r.tokensScored)} tokens scored, ${r.backend}) |`;
}

function speedLine(label: string, r: BenchResult | null): string {
  if (!r) return `| ${label} | not measured | | |`;
  return `| ${label} | ${r.decodeTokensPerS.median.toFixed(1)} | ${r.prefillTokensPerS.median.toFixed(1)} | ${r.runs} runs, prompt ${r.promptTokens}, ${r.genTokens} new tokens, ${r.backend}${r.adapter ? ` (${r.adapter})` : ''} |`;
}

export function modelCard(inputs: ModelCardInputs): string {
  const { source, prune, files } = inputs;
  const folder = inputs.folderName ?? './pruned-model';
  const hasSafetensors = files.some((f) => f.endsWith('.safetensors'));
  const onnxFiles = files.filter((f) => f.endsWith('.onnx'));
  const lines: string[] = [
    '---',
    'library_name: transformers',
    'tags:',
    '  - prunelab',
    ...(prune ? ['  - pruned'] : []),
    ...(onnxFiles.length ? ['  - transformers.js', '  - onnx'] : []),
    '---',
    '',
    `# ${source.name}${prune ? ` — pruned (${prune.methodId})` : ''}`,
    '',
    prune ? `Pruned in the browser with Prunelab from **${source.name}**.` : `**${source.name}** as loaded in Prunelab (not pruned), written back out.`,
    '',
    '## Source model',
    '',
    `- Name: ${source.name} (\`model_type\` ${source.modelType})`,
    `- Layout: ${source.layout}, weights read from \`${source.weightsFile}\` (${source.weightsDtype})`,
    `- ${source.layers} layers, ${count(source.parameters)} parameters`,
    '',
  ];
  if (prune) {
    const params = Object.entries(prune.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ') || 'none';
    const c = prune.calibration;
    lines.push(
      '## Pruning',
      '',
      `- Method: \`${prune.methodId}\`; parameters: ${params}`,
      c.windows > 0
        ? `- Calibration data: ${c.textName}, ${c.windows} windows × ${c.seqLen} tokens, sampling '${c.sampling}', seed ${c.seed}`
        : `- Calibration data: none (a data-free method)`,
      `- Sparsity (zeros over the block linear layers): ${pct(prune.overallSparsity)}`,
      `- Removed blocks (0-based, of the source model): ${prune.removedBlocks.length ? prune.removedBlocks.join(', ') : 'none'}`,
      `- Layers: ${prune.layersBefore} → ${prune.layersAfter}`,
      `- Parameters: ${count(prune.parametersBefore)} → ${count(prune.parametersAfter)} (${pct(1 - prune.parametersAfter / prune.parametersBefore)} fewer)`,
      '',
      '## Measured in the prune run',
      '',
      '| model | perplexity | on |',
      '|---|---|---|',
      pplLine('before', prune.pplBefore),
      pplLine('after', prune.pplAfter),
      '',
      '| model | decode tokens/s | prefill tokens/s | setup |',
      '|---|---|---|---|',
      speedLine('before', prune.speedBefore),
      speedLine('after', prune.speedAfter),
      '',
      prune.speedNote,
      '',
    );
  }
  lines.push('## Files', '', `Format: ${inputs.format}.`, '');
  if (hasSafetensors) lines.push(`- Hugging Face safetensors, float32: ${files.filter((f) => f.includes('safetensors')).map((f) => `\`${f}\``).join(', ')}`);
  if (onnxFiles.length) lines.push(`- ONNX for transformers.js (${inputs.onnxDtypes.join(', ')}): ${onnxFiles.map((f) => `\`${f}\``).join(', ')}`);
  lines.push(`- Also: ${files.filter((f) => !f.includes('safetensors') && !f.endsWith('.onnx')).map((f) => `\`${f}\``).join(', ')}`, '', '## How to load', '');
  if (onnxFiles.length) {
    const dtype = inputs.onnxDtypes.includes('q4') ? 'q4' : inputs.onnxDtypes[0] ?? 'fp32';
    lines.push(
      'transformers.js (browser or Node), with this folder served or on disk:',
      '',
      '```js',
      "import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';",
      `const model = await AutoModelForCausalLM.from_pretrained(${yaml(folder)}, { dtype: ${yaml(dtype)} }); // ${inputs.onnxDtypes.map((d) => `'${d}'`).join(' | ')}`,
      `const tokenizer = await AutoTokenizer.from_pretrained(${yaml(folder)});`,
      '```',
      '',
    );
  }
  if (hasSafetensors) {
    lines.push(
      'Python transformers:',
      '',
      '```python',
      'from transformers import AutoModelForCausalLM, AutoTokenizer',
      `model = AutoModelForCausalLM.from_pretrained(${yaml(folder)})`,
      `tokenizer = AutoTokenizer.from_pretrained(${yaml(folder)})`,
      '```',
      '',
    );
  }
  return lines.join('\n');
}
