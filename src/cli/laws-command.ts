// The CLI's `laws` command: the compression-law experiment (Lab.lawExperiment) on a model folder: one
// structured method over a ratio grid and recovery budgets, test loss on a text file, optional zero-shot
// accuracy and speed, and the fitted law. Progress: one line per point on stderr.

import { LabError } from '../errors';
import type { Lab } from '../lab/lab';
import type { LawRequest, LawResult } from '../lab/lab-api';
import { boolFlag, choiceFlag, intFlag, numberFlag, optionalStringFlag, stringFlag, type ParsedArgs } from './args';
import { loadModel, readText, type Log } from './cli-inputs';

export const LAWS_USAGE =
  '--model <dir> --method <id> --ratios 0,0.2,0.4 [--rft-tokens 0,8192] --text <file> [--seq-len 256] [--max-windows N] [--calib <file>] [--calib-windows 16] [--task hellaswag [--data <file.jsonl>] [--max-items N]] [--speed] [--loss-threshold X] [--recovery-text <file>]   compression-law experiment';

/** "0,0.2, 0.4" → numbers; an error naming the flag otherwise. */
function numberList(args: ParsedArgs, name: string, fallback?: number[]): number[] {
  const raw = optionalStringFlag(args, name);
  if (raw === undefined) {
    if (fallback) return fallback;
    throw new LabError('bad-argument', `--${name} is required (a comma-separated list of numbers)`);
  }
  const values = raw.split(/[\s,]+/).filter((x) => x !== '').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new LabError('bad-argument', `--${name} must be a comma-separated list of numbers, got '${raw}'`);
  return values;
}

export type LawsOutput = LawResult & { fit: { coefficients: Record<string, number | null>; r2: number; form: string } | null };

export async function runLaws(lab: Lab, args: ParsedArgs, log: Log): Promise<LawsOutput> {
  await loadModel(lab, stringFlag(args, 'model'), log);
  const calib = optionalStringFlag(args, 'calib');
  const recoveryText = optionalStringFlag(args, 'recovery-text');
  const request: LawRequest = {
    methodId: stringFlag(args, 'method'),
    ratios: numberList(args, 'ratios'),
    rftTokens: numberList(args, 'rft-tokens', [0]),
    calibration: { text: calib ? readText(calib) : { kind: 'bundled', id: 'tinystories' }, windows: intFlag(args, 'calib-windows', 16), seqLen: intFlag(args, 'seq-len', 256, 2) },
    text: readText(stringFlag(args, 'text')),
    seqLen: intFlag(args, 'seq-len', 256, 2),
    maxWindows: intFlag(args, 'max-windows', undefined),
    ...(recoveryText ? { recovery: { text: readText(recoveryText) } } : {}),
    ...(args.flags.has('task')
      ? { accuracy: { data: (choiceFlag(args, 'task', ['hellaswag'], 'hellaswag'), optionalStringFlag(args, 'data') ? readText(stringFlag(args, 'data')) : { kind: 'bundled', id: 'hellaswag' }), maxItems: intFlag(args, 'max-items', undefined) } }
      : {}),
    ...(boolFlag(args, 'speed') ? { speed: { promptTokens: 32, genTokens: 16, runs: 2, warmupRuns: 1 } } : {}),
    lossThreshold: numberFlag(args, 'loss-threshold', undefined),
  };
  const result = await lab.lawExperiment(request, {
    onProgress: (p) => log(JSON.stringify(p.point ? { point: p.pointsDone, of: p.points, ratio: p.point.ratio, rftTokens: p.point.rftTokens, loss: p.point.loss } : { message: p.message })),
  });
  const noIntercept = result.loss?.noIntercept;
  return {
    ...result,
    fit: noIntercept ? { form: noIntercept.form, r2: noIntercept.r2, coefficients: Object.fromEntries(noIntercept.coefficients.map((c) => [c.name, c.value])) } : null,
  };
}

export function formatLaws(r: LawsOutput): string {
  const rows = r.points.map((p) => `  r ${p.compression.toFixed(3)} (asked ${p.ratio}), D ${p.rftTokens}: loss ${p.loss.toFixed(4)}, ppl ${p.ppl.toFixed(3)}${p.accuracy ? `, acc_norm ${p.accuracy.accNorm.toFixed(3)}` : ''}`);
  const law = r.loss;
  const coef = (name: string) => law?.noIntercept.coefficients.find((c) => c.name === name)?.value;
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(4));
  return [
    `${r.methodId}: ${r.points.length} points${r.stoppedEarly ? ' (stopped early)' : ''}, dense loss ${r.dense.loss.toFixed(4)}`,
    ...rows,
    law ? `law (no intercept): α ${fmt(coef('alpha'))}, β ${fmt(coef('beta'))}, γ ${fmt(coef('gamma'))}; R² ${law.noIntercept.r2.toFixed(4)}; ${law.verdict}` : 'law: fewer than 2 points',
    law?.better ? `loss against r: ${law.better} (line R² ${law.linear?.r2.toFixed(4)}, quadratic R² ${law.quadratic?.r2.toFixed(4)})` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
