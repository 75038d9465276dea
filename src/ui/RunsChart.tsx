// Perplexity after pruning vs ratio, one line per method (uPlot), from the runs shown in the Runs table.
// x = overall sparsity (sparsity methods) or removed / total blocks (block methods); runs without ppl are left out.

import { useRef } from 'react';
import type uPlot from 'uplot';
import { runRatio, type RunRecord } from '../store/run-record';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { methodColors } from './runs/run-views-data';
import { useUPlot } from './use-uplot';

const TITLE = 'Perplexity after pruning vs ratio';

interface ChartSeries {
  methodId: string;
  label: string;
}

/** Methods with at least one evaluated run, in the order they first appear. */
export function chartSeries(runs: RunRecord[]): ChartSeries[] {
  const seen = new Map<string, string>();
  for (const run of runs) if (run.pplAfter !== null && !seen.has(run.methodId)) seen.set(run.methodId, run.methodLabel);
  return [...seen].map(([methodId, label]) => ({ methodId, label }));
}

/** Aligned data: sorted distinct ratios; per method the mean ppl after at each ratio it was run at, else null. */
export function chartData(runs: RunRecord[], series: ChartSeries[]): uPlot.AlignedData {
  const evaluated = runs.filter((r) => r.pplAfter !== null);
  const xs = [...new Set(evaluated.map(runRatio))].sort((a, b) => a - b);
  const lines = series.map(({ methodId }) =>
    xs.map((x) => {
      const at = evaluated.filter((r) => r.methodId === methodId && runRatio(r) === x).map((r) => r.pplAfter as number);
      return at.length > 0 ? at.reduce((a, b) => a + b, 0) / at.length : null;
    }),
  );
  return [xs, ...lines];
}

export function RunsChart({ runs, describedBy }: { runs: RunRecord[]; describedBy: string }) {
  const series = chartSeries(runs);
  const plot = useRef<uPlot | null>(null);
  // A new method adds a series: rebuild the plot then; new runs of known methods only set data.
  const container = useUPlot({
    height: 220,
    plotRef: plot,
    build: () =>
      series.length === 0
        ? null
        : {
            scales: { x: { time: false } },
            series: [
              { label: 'Ratio' },
              ...series.map((s, i) => ({ label: s.label, stroke: methodColors[i % methodColors.length], width: 2, spanGaps: true, points: { show: true, size: 7 } })),
            ],
            axes: [{ label: 'Ratio (overall sparsity, or removed / total blocks)' }, { label: 'Perplexity after' }],
          },
    data: () => chartData(runs, series),
    rebuildKey: series.map((s) => s.methodId).join('|'),
    dataKey: runs,
  });

  const points = runs.filter((r) => r.pplAfter !== null).length;
  if (series.length === 0) return <p className="muted small" data-testid="runs-chart-empty">The chart shows runs that evaluated perplexity.</p>;
  return (
    <div className="runs-chart-frame">
      <div className="runs-view-head">
        <h3 className="runs-view-title">{TITLE}</h3>
        <PlotExportButtons name="perplexity-vs-ratio" title={TITLE} plot={plot} />
      </div>
      <div
        ref={container}
        className="chart"
        data-testid="runs-chart"
        data-series={series.length}
        data-points={points}
        role="img"
        aria-label={`Perplexity after pruning vs ratio, one line per method: ${series.map((s) => s.label).join(', ')}`}
        aria-describedby={describedBy}
      />
    </div>
  );
}
