// Perplexity (or, for runs that measured it, zero-shot acc_norm) after pruning vs ratio, one line per method
// (uPlot), from the runs shown in the Runs table.
// x = the ratio the run asked for, so methods meet at one ratio (Wanda asked for 0.7 reached 0.690: the data
// table lists target and realised per run). A dashed line marks the dense model; a log-scale switch.
// Runs without ppl are left out.

import { useRef } from 'react';
import type uPlot from 'uplot';
import { chartSeriesKey, realisedSparsity, targetRatio, type RunRecord } from '../store/run-record';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { formatNumber } from './format';
import { methodColors, numbered, percentText, realisedText, targetText } from './runs/run-views-data';
import { useUPlot } from './use-uplot';
import { useStoredSetting } from './use-stored-setting';

/** The chart's y: perplexity after (the default), or zero-shot acc_norm after (runs that measured it). */
export type ChartMetric = 'ppl' | 'accNorm';
const metricValue: Record<ChartMetric, (run: RunRecord) => number | null> = {
  ppl: (run) => run.pplAfter,
  accNorm: (run) => run.accuracy?.accNormAfter ?? null,
};
const metricNames: Record<ChartMetric, { axis: string; title: string; what: string }> = {
  ppl: { axis: 'Perplexity after', title: 'Perplexity after pruning vs ratio', what: 'evaluated perplexity' },
  accNorm: { axis: 'Zero-shot acc_norm after', title: 'Zero-shot accuracy (acc_norm) after pruning vs ratio', what: 'measured zero-shot accuracy' },
};

interface ChartSeries {
  /** chartSeriesKey: the method, or the method with its recovery. */
  key: string;
  label: string;
}

/** Methods (and recovery runs of a method, apart) with at least one evaluated run, in the order they first appear. */
export function chartSeries(runs: RunRecord[], metric: ChartMetric = 'ppl'): ChartSeries[] {
  const seen = new Map<string, string>();
  for (const run of runs) if (metricValue[metric](run) !== null && !seen.has(chartSeriesKey(run))) seen.set(chartSeriesKey(run), run.methodLabel);
  return [...seen].map(([key, label]) => ({ key, label }));
}

/**
 * The chart's x: the ratio the run asked for, so runs of different methods at one ratio line up (Wanda's
 * 0.297 and magnitude's 0.3 both at 0.3); the realised sparsity is in the tooltip table. Runs without a
 * target fall back to their realised sparsity; null leaves the run out.
 */
export const chartX = (run: RunRecord): number | null => targetRatio(run) ?? realisedSparsity(run);

const metricBefore: Record<ChartMetric, (run: RunRecord) => number | null> = {
  ppl: (run) => run.pplBefore,
  accNorm: (run) => run.accuracy?.accNormBefore ?? null,
};

/** The dense model's value the runs measured beside their own (the median, when several): the chart's reference line. */
export function denseReference(runs: RunRecord[], metric: ChartMetric = 'ppl'): number | null {
  const values = runs.filter((run) => metricValue[metric](run) !== null).map(metricBefore[metric]).filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (values.length === 0) return null;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** Runs the chart plots: with the metric, with a realised sparsity (a record without overallSparsity only shows in the table). */
const plotted = (run: RunRecord, metric: ChartMetric) => metricValue[metric](run) !== null && chartX(run) !== null;

/** Aligned data: sorted distinct realised sparsities; per method the mean metric after at each ratio it was run at, else null. */
export function chartData(runs: RunRecord[], series: ChartSeries[], metric: ChartMetric = 'ppl'): uPlot.AlignedData {
  const evaluated = runs.filter((run) => plotted(run, metric));
  const xs = [...new Set(evaluated.map((r) => chartX(r)!))].sort((a, b) => a - b);
  const lines = series.map(({ key }) =>
    xs.map((x) => {
      const at = evaluated.filter((r) => chartSeriesKey(r) === key && chartX(r) === x).map((r) => metricValue[metric](r) as number);
      return at.length > 0 ? at.reduce((a, b) => a + b, 0) / at.length : null;
    }),
  );
  return [xs, ...lines];
}

export function RunsChart({ runs, describedBy }: { runs: RunRecord[]; describedBy: string }) {
  const [metric, setMetric] = useStoredSetting<ChartMetric>('runsChart.metric', 'ppl', ['ppl', 'accNorm']);
  const [logScale, setLogScale] = useStoredSetting('runsChart.logScale', false);
  const series = chartSeries(runs, metric);
  const names = metricNames[metric];
  const hasAccuracy = runs.some((run) => run.accuracy);
  const dense = denseReference(runs, metric);
  const plot = useRef<uPlot | null>(null);
  // A new method adds a series: rebuild the plot then; new runs of known methods only set data.
  const container = useUPlot({
    height: 220,
    plotRef: plot,
    build: () =>
      series.length === 0
        ? null
        : {
            scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
            series: [
              { label: 'Ratio asked for', value: (_u: uPlot, v: number | null) => (v === null ? '—' : percentText(v)) },
              ...series.map((s, i) => ({ label: s.label, stroke: methodColors[i % methodColors.length], width: 2, spanGaps: true, points: { show: true, size: 7 } })),
              ...(dense === null ? [] : [{ label: 'dense model', stroke: '#64748b', width: 1.5, dash: [4, 4], points: { show: false } }]),
            ],
            axes: [{ label: 'Ratio asked for, 0..1 (sparsity, or share of blocks / width removed)' }, { label: names.axis }],
          },
    data: () => {
      const data = chartData(runs, series, metric);
      return dense === null ? data : ([...data, Array.from(data[0], () => dense)] as uPlot.AlignedData);
    },
    rebuildKey: `${metric}|${logScale}|${dense === null}|${series.map((s) => s.key).join('|')}`,
    dataKey: runs,
  });

  const evaluated = numbered(runs).filter(({ run }) => metricValue[metric](run) !== null);
  const points = runs.filter((run) => plotted(run, metric)).length;
  const picker = (
    <span className="small">
      {hasAccuracy && (
        <label>
          Quality{' '}
          <select data-testid="runs-chart-metric" value={metric} onChange={(e) => setMetric(e.target.value as ChartMetric)}>
            <option value="ppl">Perplexity</option>
            <option value="accNorm">Zero-shot acc_norm</option>
          </select>
        </label>
      )}{' '}
      <label>
        <input type="checkbox" data-testid="runs-chart-log" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} /> Log scale
      </label>
    </span>
  );
  if (series.length === 0)
    return (
      <div className="runs-chart-frame">
        {picker}
        <p className="muted small" data-testid="runs-chart-empty">The chart shows runs that {names.what}.</p>
      </div>
    );
  return (
    <div className="runs-chart-frame">
      <div className="runs-view-head">
        <h3 className="runs-view-title">{names.title}</h3>
        {picker}
        <PlotExportButtons name={metric === 'ppl' ? 'perplexity-vs-ratio' : 'accuracy-vs-ratio'} title={names.title} plot={plot} />
      </div>
      <div
        ref={container}
        className="chart"
        data-testid="runs-chart"
        data-series={series.length}
        data-dense={dense ?? ''}
        data-log={logScale}
        data-points={points}
        role="img"
        aria-label={`${names.axis} vs realised sparsity, one line per method: ${series.map((s) => s.label).join(', ')}`}
        aria-describedby={describedBy}
      />
      <details className="runs-view-data">
        <summary>Data table</summary>
        <table className="table compact" data-testid="runs-chart-table">
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Method</th><th scope="col">Target ratio</th><th scope="col">Realised sparsity</th><th scope="col">{names.axis}</th></tr>
          </thead>
          <tbody>
            {evaluated.map(({ run, number }) => (
              <tr key={run.id}>
                <th scope="row">#{number}</th><td>{run.methodLabel}</td><td>{targetText(run)}</td>
                <td data-testid="runs-chart-realised" data-value={realisedSparsity(run) ?? ''}>{realisedText(run)}</td>
                <td>{formatNumber(metricValue[metric](run)!, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
