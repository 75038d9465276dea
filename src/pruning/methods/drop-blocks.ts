// Manual depth pruning: delete the listed 0-based blocks. Data-free; the baseline against which
// SLEB and ShortGPT choices can be compared. No runtime import.

import { LabError, throwIfCancelled } from '../../errors';
import type { ParamSpec, PruningMethod } from '../method';
import { emptyPlan } from '../plan';
import { startPlanStats } from '../sequential';

const params: ParamSpec[] = [
  {
    name: 'blocks',
    label: 'Blocks to remove',
    type: 'block-list',
    default: '1',
    help: 'Comma-separated 0-based block indices to delete, e.g. "1,3".',
  },
];

/** "1, 3" → [1, 3] (ascending); LabError('bad-argument') for junk, out-of-range, duplicates, or all blocks. */
export function parseBlockList(value: unknown, numBlocks: number): number[] {
  if (typeof value !== 'string' && typeof value !== 'number') throw new LabError('bad-argument', `drop-blocks: blocks must be a list like "1,3", got ${String(value)}`);
  const parts = String(value).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new LabError('bad-argument', 'drop-blocks: list at least one block to remove, e.g. "1,3"');
  const blocks = parts.map((s) => {
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n)) throw new LabError('bad-argument', `drop-blocks: '${s}' is not a block index (0-based integers, comma-separated)`);
    if (n >= numBlocks) throw new LabError('bad-argument', `drop-blocks: block ${n} does not exist; the model has blocks 0..${numBlocks - 1}`);
    return n;
  });
  const duplicate = blocks.find((b, i) => blocks.indexOf(b) !== i);
  if (duplicate !== undefined) throw new LabError('bad-argument', `drop-blocks: block ${duplicate} is listed twice`);
  if (blocks.length >= numBlocks) throw new LabError('bad-argument', `drop-blocks: removing all ${numBlocks} blocks leaves no model`);
  return blocks.sort((a, b) => a - b);
}

export const dropBlocks: PruningMethod = {
  id: 'drop-blocks',
  label: 'Drop blocks (manual)',
  kind: 'blocks',
  summary: 'Deletes the blocks you list; no data needed.',
  paper: { title: 'Manual block removal (the depth-pruning baseline of SLEB and ShortGPT)', url: 'https://arxiv.org/abs/2402.09025' },
  params,
  needsCalibration: false,
  async run(ctx, values) {
    throwIfCancelled(ctx.signal);
    const finish = startPlanStats(ctx.runner);
    const raw = values.blocks ?? params[0].default;
    const blocks = parseBlockList(raw, ctx.spec.layers.length);
    const plan = emptyPlan('drop-blocks', { blocks: blocks.join(',') });
    plan.removeBlocks = blocks;
    ctx.onProgress?.({ fraction: 1, message: `removing blocks ${blocks.join(', ')}` });
    return finish(plan);
  },
};
