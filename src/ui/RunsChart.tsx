// Perplexity after pruning vs ratio, one line per method (uPlot), from the runs shown in the Runs table.
// x = the realised sparsity (measured zeros over the block linears; block methods: the share of those weights
// removed), not the target: Wanda asked for 0.7 sits at 0.690. The legend shows it as a percentage at the
// cursor; the data table lists target and realised per run. Runs without ppl are left out.

import { useRef } from 'react';
import type uPlot from 'uplot';
import { chartSeriesKey, realisedSparsity, type RunRecord } from '../store/run-record';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { formatNumber } from './format';
import { methodColors, numbered, percentText, realisedText, targetText } from './runs/run-views-data';
import { useUPlot } from './use-uplot';

const TITLE = 'Perplexity after pruning vs ratio';

interface ChartSeries {
  /** chartSeriesKey: the method, or the method with its recovery. */
  key: string;
  label: string;
}

/** Methods (and recovery runs of a method, apart) with at least one evaluated run, in the order they first appear. */
export function chartSeries(runs: RunRecord[]): ChartSeries[] {
  const seen = new Map<string, string>();
  for (const run of runs) if (run.pplAfter !== null && !seen.has(chartSeriesKey(run))) seen.set(chartSeriesKey(run), run.methodLabel);
  return [...seen].map(([key, label]) => ({ key, label }));
}

/** The chart's x: the realised sparsity (for every run with overallSparsity it is runRatio); null leaves the run out. */
export const chartX = (run: RunRecord): number | null => realisedSparsity(run);

/** Runs the chart plots: evaluated, with a realised sparsity (a record without overallSparsity only shows in the table). */
const plotted = (run: RunRecord) => run.pplAfter !== null && chartX(run) !== null;

/** Aligned data: sorted distinct realised sparsities; per method the mean ppl after at each ratio it was run at, else null. */
export function chartData(runs: RunRecord[], series: ChartSeries[]): uPlot.AlignedData {
  const evaluated = runs.filter(plotted);
  const xs = [...new Set(evaluated.map((r) => chartX(r)!))].sort((a, b) => a - b);
  const lines = series.map(({ key }) =>
    xs.map((x) => {
      const at = evaluated.filter((r) => chartSeriesKey(r) === key && chartX(r) === x).map((r) => r.pplAfter as number);
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
              { label: 'Realised sparsity', value: (_u: uPlot, v: number | null) => (v === null ? '—' : percentText(v)) },
              ...series.map((s, i) => ({ label: s.label, stroke: methodColors[i % methodColors.length], width: 2, spanGaps: true, points: { show: true, size: 7 } })),
            ],
            axes: [{ label: 'Realised sparsity, 0..1 (block methods: share of block weights removed)' }, { label: 'Perplexity after' }],
          },
    data: () => chartData(runs, series),
    rebuildKey: series.map((s) => s.key).join('|'),
    dataKey: runs,
  });

  const evaluated = numbered(runs).filter(({ run }) => run.pplAfter !== null);
  const points = runs.filter(plotted).length;
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
        aria-label={`Perplexity after pruning vs realised sparsity, one line per method: ${series.map((s) => s.label).join(', ')}`}
        aria-describedby={describedBy}
      />
      <details className="runs-view-data">
        <summary>Data table</summary>
        <table className="table compact" data-testid="runs-chart-table">
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Method</th><th scope="col">Target ratio</th><th scope="col">Realised sparsity</th><th scope="col">Perplexity after</th></tr>
          </thead>
          <tbody>
            {evaluated.map(({ run, number }) => (
              <tr key={run.id}>
                <th scope="row">#{number}</th><td>{run.methodLabel}</td><td>{targetText(run)}</td>
                <td data-testid="runs-chart-realised" data-value={realisedSparsity(run) ?? ''}>{realisedText(run)}</td>
                <td>{formatNumber(run.pplAfter!, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
