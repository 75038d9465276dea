// The CLI's `methods` and `prune` commands: flags → PruneRequest (--ratio means sparsity for
// 'sparsity' methods and ceil(L·r) blocks for SLEB/ShortGPT), the lab's prune, --out → HF folder.
// `sweep` runs each of its runs through the same pruneRequestOf + pruneWithProgress.

import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { Lab } from '../lab/lab';
import type { AccuracySummary, MethodInfo, PruneRequest, PruneResult } from '../lab/lab-api';
import type { ParamValue } from '../pruning/method';
import { choiceFlag, intFlag, numberFlag, optionalStringFlag, stringFlag, type ParsedArgs } from './args';
import { readText, type Log } from './cli-inputs';

export interface PruneOutput {
  method: string;
  params: Record<string, ParamValue>;
  overallSparsity: number;
  layerSparsity: PruneResult['layerSparsity'];
  blockSparsity: number[];
  removedBlocks: number[];
  layersBefore: number;
  layersAfter: number;
  parametersBefore: number;
  parametersAfter: number;
  calibration: PruneResult['calibration'];
  trace: PruneResult['trace'];
  stats: PruneResult['stats'];
  speedNote: string;
  elapsedMs: number;
  accuracy?: { before: AccuracySummary; after: AccuracySummary };
  ppl?: { before: number; after: number; windows: number; seqLen: number; textName: string };
  out?: string;
  format?: string;
}

/** searchWindows → search-windows; all-capital names (OWL's M) stay as they are, so --m stays N:M's. */
const kebab = (name: string) => (name === name.toUpperCase() ? name : name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase());

/** A flag's text as the method parameter's type. */
function paramValue(info: MethodInfo, name: string, raw: string | true): ParamValue {
  const spec = info.params.find((p) => p.name === name)!;
  if (spec.type === 'boolean') {
    if (raw === true || raw === 'true') return true;
    if (raw === 'false') return false;
    throw new LabError('bad-argument', `--${kebab(name)} must be true or false, got '${raw}'`);
  }
  if (raw === true) throw new LabError('bad-argument', `--${kebab(name)} needs a value`);
  if (spec.type === 'number' || spec.type === 'integer') {
    const v = Number(raw);
    if (!Number.isFinite(v)) throw new LabError('bad-argument', `--${kebab(name)} must be a number, got '${raw}'`);
    return v;
  }
  return raw;
}

/** Method parameters from the flags: --ratio, --blocks, --base, --n/--m, and any param by its (kebab-case) name. */
export function methodParams(info: MethodInfo, args: ParsedArgs, numLayers: number): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  const has = (name: string) => info.params.some((p) => p.name === name);
  for (const p of info.params) {
    const raw = args.flags.get(kebab(p.name)) ?? args.flags.get(p.name);
    if (raw !== undefined) params[p.name] = paramValue(info, p.name, raw);
  }
  const ratio = numberFlag(args, 'ratio', undefined, -Infinity);
  if (ratio !== undefined) {
    if (!(ratio > 0 && ratio < 1)) throw new LabError('bad-argument', `--ratio must be in (0, 1), got ${ratio}`);
    if (params.sparsity !== undefined || params.blocks !== undefined) throw new LabError('bad-argument', '--ratio and --sparsity/--blocks say the same thing; give one');
    if (info.kind === 'sparsity' && has('sparsity')) params.sparsity = ratio;
    else if (info.kind === 'width' && has('ratio')) params.ratio = ratio;
    else if (info.kind === 'blocks' && has('blocks') && info.params.find((p) => p.name === 'blocks')!.type === 'integer')
      params.blocks = Math.ceil(numLayers * ratio); // as the SLEB latency script: ceil(L·r)
    else throw new LabError('bad-argument', `--ratio does not apply to ${info.id}; use ${info.params.map((p) => `--${kebab(p.name)}`).join(', ')}`);
  }
  const n = intFlag(args, 'n', undefined);
  const m = intFlag(args, 'm', undefined);
  if (n !== undefined || m !== undefined) {
    if (n === undefined || m === undefined) throw new LabError('bad-argument', '--n and --m go together (N zeros of every M weights)');
    if (!has('pattern')) throw new LabError('bad-argument', `${info.id} has no N:M pattern`);
    params.pattern = `${n}:${m}`;
  }
  return params;
}

export async function runMethods(lab: Lab): Promise<MethodInfo[]> {
  return lab.methods();
}

export function formatMethods(list: MethodInfo[]): string {
  return list
    .map((m) => {
      const params = m.params.map((p) => `    --${kebab(p.name)} (${p.type}, default ${JSON.stringify(p.default)}): ${p.help}`);
      return [`${m.id.padEnd(12)} ${m.kind.padEnd(8)} ${m.summary}`, ...params].join('\n');
    })
    .join('\n');
}

/** The prune flags (--method, --ratio, --calib, --seq-len, --eval, …) as the lab's PruneRequest, with the method. */
export async function pruneRequestOf(lab: Lab, args: ParsedArgs, numLayers: number): Promise<{ request: PruneRequest; info: MethodInfo }> {
  const methodId = stringFlag(args, 'method');
  const methods = await lab.methods();
  const info = methods.find((m) => m.id === methodId);
  if (!info) throw new LabError('bad-argument', `unknown pruning method '${methodId}'; known: ${methods.map((m) => m.id).join(', ')}`);
  const seqLen = intFlag(args, 'seq-len', 256, 2);
  const sampling = optionalStringFlag(args, 'calib-sample') ?? 'first';
  if (sampling !== 'first' && sampling !== 'random') throw new LabError('bad-argument', `--calib-sample must be first or random, got '${sampling}'`);
  const calibFile = optionalStringFlag(args, 'calib');
  const evalFile = optionalStringFlag(args, 'eval');
  const request: PruneRequest = {
    methodId,
    params: methodParams(info, args, numLayers),
    calibration: {
      text: calibFile ? readText(calibFile) : { kind: 'bundled', id: 'tinystories' },
      windows: intFlag(args, 'calib-windows', 64),
      seqLen,
      sampling,
      seed: intFlag(args, 'seed', 0, 0),
    },
    ...(evalFile ? { evaluation: { text: readText(evalFile), seqLen, maxWindows: intFlag(args, 'eval-windows', undefined) } } : {}),
  };
  // Zero-shot accuracy, dense and pruned: --task hellaswag [--data <file.jsonl>] [--max-items N].
  if (args.flags.has('task')) {
    choiceFlag(args, 'task', ['hellaswag'], 'hellaswag');
    const data = optionalStringFlag(args, 'data');
    request.accuracy = { data: data ? readText(data) : { kind: 'bundled', id: 'hellaswag' }, maxItems: intFlag(args, 'max-items', undefined) };
  }
  return { request, info };
}

/** The lab's prune with its progress logged (one line per phase and 5% step), prefixed `[prefix]`. */
export function pruneWithProgress(lab: Lab, request: PruneRequest, log: Log, prefix = 'prune'): Promise<PruneResult> {
  let lastPhase = '';
  let lastPercent = -1;
  return lab.prune(request, {
    onProgress: (p) => {
      const percent = Math.floor(p.fraction * 20) * 5;
      if (p.phase !== lastPhase || percent !== lastPercent) log(`[${prefix}] ${p.phase} ${(p.fraction * 100).toFixed(0)}%: ${p.message}`);
      [lastPhase, lastPercent] = [p.phase, percent];
    },
  });
}

export async function runPrune(lab: Lab, args: ParsedArgs, log: Log, numLayers: number): Promise<PruneOutput> {
  const { request } = await pruneRequestOf(lab, args, numLayers);
  const result = await pruneWithProgress(lab, request, log);
  const output: PruneOutput = {
    method: result.methodId,
    params: result.params,
    overallSparsity: result.overallSparsity,
    layerSparsity: result.layerSparsity,
    blockSparsity: result.blockSparsity,
    removedBlocks: result.removedBlocks,
    layersBefore: result.layersBefore,
    layersAfter: result.layersAfter,
    parametersBefore: result.parametersBefore,
    parametersAfter: result.parametersAfter,
    calibration: result.calibration,
    trace: result.trace,
    stats: result.stats,
    speedNote: result.speedNote,
    elapsedMs: result.elapsedMs,
  };
  if (result.accuracyBefore && result.accuracyAfter) output.accuracy = { before: result.accuracyBefore, after: result.accuracyAfter };
  if (result.pplBefore && result.pplAfter)
    output.ppl = { before: result.pplBefore.ppl, after: result.pplAfter.ppl, windows: result.pplAfter.windows, seqLen: result.pplAfter.seqLen, textName: result.pplAfter.textName };
  const written = await writeExportFlag(lab, args, 'pruned', (line) => log(`[prune] ${line}`));
  if (written) Object.assign(output, written);
  return output;
}

/** --out <dir> [--format safetensors|transformers.js|both]: writes the lab's `which` model there. */
export async function writeExportFlag(lab: Lab, args: ParsedArgs, which: 'pruned' | 'finetuned', log: Log): Promise<{ out: string; format: string } | null> {
  const outDir = optionalStringFlag(args, 'out');
  if (!outDir) return null;
  const format = optionalStringFlag(args, 'format') ?? 'safetensors';
  if (format !== 'safetensors' && format !== 'transformers.js' && format !== 'both')
    throw new LabError('bad-argument', `--format must be transformers.js, safetensors or both, got '${format}'`);
  const files = await lab.exportModel({ which, format });
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of files) {
    const target = path.join(outDir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, new Uint8Array(await file.blob.arrayBuffer()));
  }
  log(`wrote ${outDir} (${format})`);
  return { out: outDir, format };
}

export function formatPrune(r: PruneOutput): string {
  const lines = [
    `${r.method} ${JSON.stringify(r.params)}: ${r.layersBefore} → ${r.layersAfter} blocks` +
      (r.removedBlocks.length ? ` (removed ${r.removedBlocks.join(', ')})` : '') +
      `, sparsity ${(r.overallSparsity * 100).toFixed(2)}%, parameters ${r.parametersBefore} → ${r.parametersAfter}`,
    `calibration: ${r.calibration.windows} × ${r.calibration.seqLen} tokens (${r.calibration.sampling}, seed ${r.calibration.seed}) of ${r.calibration.textName}; ` +
      `${r.stats.forwardPasses.toFixed(2)} forward passes, ${r.stats.sessionsCreated} sessions, ${r.stats.calibrationMs.toFixed(0)} ms passes + ${r.stats.methodMs.toFixed(0)} ms method`,
  ];
  if (r.ppl) lines.push(`ppl ${r.ppl.before.toFixed(4)} → ${r.ppl.after.toFixed(4)} (${r.ppl.windows} windows of ${r.ppl.seqLen}, ${r.ppl.textName})`);
  lines.push(r.speedNote);
  if (r.out) lines.push(`wrote ${r.out}`);
  return lines.join('\n');
}
