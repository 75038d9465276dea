// SLEB (methods.md §4.1): greedy block removal. Each step scores every remaining candidate by the
// summed calibration NLL of the current model with that block also skipped (gated NLL: one session
// for every gate pattern), and removes the argmin. No runtime import.

import { LabError, throwIfCancelled } from '../../errors';
import type { ParamSpec, PruningMethod } from '../method';
import { emptyPlan, type TraceEntry } from '../plan';
import { resolveParams } from '../row-wise/params';
import { startPlanStats } from '../sequential';

/** Shared by SLEB and ShortGPT: how many whole blocks to remove. */
export const blockCountParam: ParamSpec = {
  name: 'blocks',
  label: 'Blocks to remove',
  type: 'integer',
  default: 1,
  min: 1,
  max: 1024,
  step: 1,
  help: 'Number of whole transformer blocks to delete (a ratio r of L blocks is ceil(L·r), as the SLEB latency script does).',
};

const params: ParamSpec[] = [
  blockCountParam,
  {
    name: 'protectEnds',
    label: 'Keep first and last block',
    type: 'boolean',
    default: true,
    help: 'The first and the last surviving block are never candidates (the official code’s early/latter barriers of 1).',
  },
];

/** Candidate positions among the surviving blocks (original numbering). */
export function slebCandidates(alive: number[], protectEnds: boolean): number[] {
  return protectEnds ? alive.slice(1, -1) : alive.slice();
}

export const sleb: PruningMethod = {
  id: 'sleb',
  label: 'SLEB',
  kind: 'blocks',
  summary: 'Removes whole blocks one at a time, each time the one whose removal hurts calibration perplexity least.',
  paper: { title: 'SLEB: Streamlining LLMs through Redundancy Verification and Elimination of Transformer Blocks (Song et al., ICML 2024)', url: 'https://arxiv.org/abs/2402.09025' },
  params,
  ratioParam: { name: 'blocks', unit: 'blocks' },
  needsCalibration: true,
  async run(ctx, values) {
    const p = resolveParams('sleb', params, values);
    const count = p.blocks as number;
    const protectEnds = p.protectEnds as boolean;
    const { spec, runner, windows, signal } = ctx;
    const L = spec.layers.length;
    const candidatesAtStart = protectEnds ? L - 2 : L - 1;
    if (count > candidatesAtStart)
      throw new LabError(
        'bad-argument',
        `sleb: cannot remove ${count} of ${L} blocks${protectEnds ? ' with the first and last block protected' : ' (one must stay)'}; at most ${Math.max(0, candidatesAtStart)}`,
      );
    if (windows.length === 0) throw new LabError('bad-argument', 'sleb: needs calibration windows');
    const finish = startPlanStats(runner);
    const plan = emptyPlan('sleb', { blocks: count, protectEnds });
    const scoredTokens = windows.length * (windows[0].length - 1);
    const alive = Array.from({ length: L }, (_, i) => i);
    const removed: number[] = [];
    const totalEvaluations = Array.from({ length: count }, (_, s) => slebCandidates(alive.slice(0, L - s), protectEnds).length).reduce((a, b) => a + b, 0);
    let evaluations = 0;
    for (let step = 0; step < count; step++) {
      const entry: Extract<TraceEntry, { kind: 'sleb-step' }> = { kind: 'sleb-step', step, candidates: [], chosen: -1 };
      let best = -1;
      let bestNll = Infinity;
      for (const block of slebCandidates(alive, protectEnds)) {
        throwIfCancelled(signal);
        const gates = Array.from({ length: L }, (_, i) => (i === block || removed.includes(i) ? 0 : 1));
        const nll = await runner.gatedNll(spec, windows, gates);
        entry.candidates.push({ block, nll, ppl: Math.exp(nll / scoredTokens) });
        // Strict < keeps the first of equal losses, as the official loop does.
        if (nll < bestNll) {
          bestNll = nll;
          best = block;
        }
        evaluations++;
        ctx.onProgress?.({
          fraction: evaluations / totalEvaluations,
          message: `SLEB step ${step + 1}/${count}: without block ${block}, ppl ${Math.exp(nll / scoredTokens).toFixed(4)}`,
          trace: structuredClone(entry),
        });
      }
      if (best < 0) throw new LabError('internal', `sleb: every candidate at step ${step} gave a non-finite loss`);
      entry.chosen = best;
      plan.trace.push(entry);
      removed.push(best);
      alive.splice(alive.indexOf(best), 1);
      ctx.onProgress?.({ fraction: evaluations / totalEvaluations, message: `SLEB step ${step + 1}/${count}: removing block ${best}`, trace: structuredClone(entry) });
    }
    throwIfCancelled(signal);
    plan.removeBlocks = removed.slice().sort((a, b) => a - b);
    return finish(plan);
  },
};
