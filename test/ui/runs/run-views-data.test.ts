// Data shaping for the Runs views: speed bars and frontier scatter as uPlot aligned data, heat-map
// columns / cells (original block numbering, removed blocks, block-average fallback), colour scale, size.

import { describe, expect, it } from 'vitest';
import {
  fp32BytesAfter, frontierData, frontierSeries, heatColor, heatColumns, heatRows, keptIndex, linearName, numbered, speedData,
} from '../../../src/ui/runs/run-views-data';
import { newRun, oldRun } from './fixtures';

describe('speedData', () => {
  it('x = the run number of runs with speed only; dense and pruned per measure', () => {
    const runs = numbered([newRun({ id: 'a' }), oldRun(), newRun({ id: 'c', decodeTokensPerSPruned: 150, prefillMsPruned: 10 })]);
    expect(speedData(runs, 'decode')).toEqual([[1, 3], [100, 100], [101, 150]]);
    expect(speedData(runs, 'prefill')).toEqual([[1, 3], [20, 20], [19.5, 10]]);
    expect(speedData(numbered([oldRun()]), 'decode')).toEqual([[], [], []]);
  });
});

describe('frontier', () => {
  it('one series per method with a timed, evaluated run; dense points first; x sorted', () => {
    const runs = [
      newRun({ id: 'a', decodeTokensPerSPruned: 99, pplAfter: 7 }),
      newRun({ id: 'b', methodId: 'drop-blocks', methodLabel: 'Drop blocks', decodeTokensPerSPruned: 130, pplAfter: 9 }),
      oldRun(), // no speed: not on the frontier
    ];
    const series = frontierSeries(runs);
    expect(series).toEqual([{ methodId: 'magnitude', label: 'Magnitude' }, { methodId: 'drop-blocks', label: 'Drop blocks' }]);
    const [xs, dense, magnitude, drop] = frontierData(runs, series);
    expect(xs).toEqual([99, 100, 100, 130]);
    expect(magnitude).toEqual([7, null, null, null]);
    expect(dense).toEqual([null, 4, 4, null]);
    expect(drop).toEqual([null, null, null, 9]);
  });

  it('no timed runs: no series, only an empty x', () => {
    expect(frontierSeries([oldRun()])).toEqual([]);
    expect(frontierData([oldRun()], [])).toEqual([[], []]);
  });
});

describe('heat map', () => {
  it('short names for linear weights', () => {
    expect(linearName('model.layers.3.self_attn.q_proj.weight')).toBe('q');
    expect(linearName('model.layers.12.mlp.down_proj.weight')).toBe('down');
    expect(linearName('transformer.h.0.mlp.c_proj.weight')).toBe('mlp.c_proj');
    expect(linearName('transformer.h.0.attn.c_proj.weight')).toBe('attn.c_proj');
  });

  it('columns = original block × linear; cells map pruned indices back, removed blocks marked', () => {
    const pruned = newRun({ id: 'p', removedBlocks: [1], layersAfter: 2, blockSparsity: [0.5, 0.6],
      layerSparsity: [0, 1].flatMap((block) => ['q_proj', 'k_proj', 'down_proj'].map((l) => ({ block, name: `model.layers.${block}.x.${l}.weight`, sparsity: block === 1 ? 0.9 : 0.1 }))) });
    const columns = heatColumns([newRun(), pruned]);
    expect(columns).toHaveLength(9);
    expect(columns.slice(0, 3)).toEqual([{ block: 0, linear: 'q' }, { block: 0, linear: 'k' }, { block: 0, linear: 'down' }]);
    const [full, cut] = heatRows(numbered([newRun(), pruned]), columns);
    expect(full.cells.map((c) => c.sparsity)).toEqual([0.5, 0.51, 0.52, 0.6, 0.61, 0.62, 0.7, 0.71, 0.72].map((v) => expect.closeTo(v, 10)));
    expect(cut.cells.map((c) => c.source)).toEqual(['layer', 'layer', 'layer', 'removed', 'removed', 'removed', 'layer', 'layer', 'layer']);
    // Original block 2 is the pruned model's block 1 (sparsity 0.9).
    expect(cut.cells[6].sparsity).toBe(0.9);
    expect(cut.number).toBe(2);
  });

  it('records without layerSparsity fall back to their block average', () => {
    const columns = heatColumns([oldRun({ removedBlocks: [], layersAfter: 3, blockSparsity: [0.2, 0.3, 0.4] })]);
    expect(columns).toEqual([0, 1, 2].map((block) => ({ block, linear: 'block' })));
    const [row] = heatRows(numbered([oldRun({ removedBlocks: [], blockSparsity: [0.2, 0.3, 0.4] })]), columns);
    expect(row.cells).toEqual([0.2, 0.3, 0.4].map((sparsity) => ({ sparsity, source: 'block' })));
    // Mixed with a new record, the old one repeats its block average in each linear's cell.
    const mixed = heatColumns([newRun(), oldRun()]);
    const [, old] = heatRows(numbered([newRun(), oldRun()]), mixed);
    expect(old.cells.slice(0, 3)).toEqual(Array(3).fill({ sparsity: 0, source: 'block' }));
    expect(old.cells.slice(3, 6).every((c) => c.source === 'removed')).toBe(true);
  });

  it('colour runs white (0) → blue (1) and clamps', () => {
    expect(heatColor(0)).toBe('#ffffff');
    expect(heatColor(1)).toBe('#1e40af');
    expect(heatColor(-1)).toBe(heatColor(0));
    expect(heatColor(2)).toBe(heatColor(1));
    const blue = (c: string) => parseInt(c.slice(1, 3), 16);
    expect(blue(heatColor(0.25))).toBeGreaterThan(blue(heatColor(0.75)));
  });

  it('keptIndex numbers kept blocks in order', () => {
    expect(keptIndex(5, [1, 3])).toEqual([0, null, 1, null, 2]);
  });
});

describe('fp32BytesAfter', () => {
  it('the stored bytes, else parametersAfter × 4', () => {
    expect(fp32BytesAfter(newRun())).toBe(12_000);
    expect(fp32BytesAfter(oldRun())).toBe(8_000);
  });
});
