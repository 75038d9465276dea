// Per-layer sparsity as a heat map: an HTML table (rows = runs, columns = original block × linear weight),
// cell colour scaled 0..1 with the value as text and title: the table is its own text alternative.
// Exports as SVG (one <rect> per cell) and PNG. Must not import the store.

import type { RunRecord } from '../../store/run-record';
import { heatmapSvg, heatmapSvgSize, svgToPng } from './chart-export';
import { ChartExportButtons } from './ChartExportButtons';
import { heatColor, heatColumns, heatRowLabel, heatRows, heatTextColor, type NumberedRun } from './run-views-data';
import './runs.css';

const TITLE = 'Per-layer sparsity';

export function SparsityHeatmap({ runs }: { runs: NumberedRun[] }) {
  const columns = heatColumns(runs.map((r: NumberedRun): RunRecord => r.run));
  const rows = heatRows(runs, columns);
  const blocks = [...new Set(columns.map((c) => c.block))];
  const perBlock = blocks.length > 0 ? columns.length / blocks.length : 0;
  const svg = () => heatmapSvg(TITLE, columns, rows);
  return (
    <figure className="runs-view runs-view-wide" data-testid="runs-heatmap" data-rows={rows.length} data-columns={columns.length}>
      <figcaption className="runs-view-head">
        <h3 className="runs-view-title">{TITLE}</h3>
        <ChartExportButtons name="sparsity-heatmap" title={TITLE} disabled={rows.length === 0}
          svg={() => new Blob([svg()], { type: 'image/svg+xml' })}
          png={() => svgToPng(svg(), heatmapSvgSize(columns, rows))} />
      </figcaption>
      <p className="small muted runs-view-note" id="runs-heatmap-note">
        Share of zero weights per linear layer (0 = dense, 1 = all zero; cells show %), in the original model's block numbering;
        × = block removed. Runs stored without per-layer data show their block's average. Each row's label ends with the run's
        realised sparsity over all block linear weights (block methods: the share removed; — when not recorded).
      </p>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Per-layer sparsity table (scrolls sideways)">
        <table className="heatmap" aria-describedby="runs-heatmap-note">
          <caption className="small muted">Sparsity per run (rows) and block × linear weight (columns)</caption>
          <thead>
            <tr>
              <td />
              {blocks.map((block) => (
                <th key={block} scope="colgroup" colSpan={perBlock} className="heat-block">Block {block}</th>
              ))}
            </tr>
            <tr>
              <th scope="col" className="heat-run">Run</th>
              {columns.map((c) => (
                <th key={`${c.block}-${c.linear}`} scope="col" className="heat-linear" title={`Block ${c.block}, ${c.linear}`}>{c.linear}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.run.id} data-testid="heat-row">
                <th scope="row" className="heat-run" data-testid="heat-row-label" title={`Run #${row.number}, ${row.run.methodLabel}: realised sparsity (whole model's block linears)`}>{heatRowLabel(row)}</th>
                {row.cells.map((cell, i) => {
                  const col = columns[i];
                  const removed = cell.sparsity === null;
                  const value = removed ? 'removed' : `${(cell.sparsity! * 100).toFixed(1)}%${cell.source === 'block' ? ' (block average)' : ''}`;
                  return (
                    <td key={i} className={removed ? 'heat-cell removed' : 'heat-cell'} data-testid="heat-cell" data-value={removed ? '' : String(cell.sparsity)} data-source={cell.source}
                      style={removed ? undefined : { background: heatColor(cell.sparsity!), color: heatTextColor(cell.sparsity!) }}
                      title={`Run #${row.number}, block ${col.block} ${col.linear}: ${value}`}>
                      {removed ? '×' : Math.round(cell.sparsity! * 100)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
