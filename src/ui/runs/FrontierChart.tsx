// The quality–speed frontier: perplexity after vs decode tokens/s of the pruned model, one uPlot point
// series per method, plus each run's dense point. Needs runs that evaluated and timed. Must not import the store.

import { useRef } from 'react';
import type uPlot from 'uplot';
import { realisedSparsity, type RunRecord } from '../../store/run-record';
import { formatNumber } from '../format';
import { useUPlot } from '../use-uplot';
import { ChartFrame } from './ChartFrame';
import { densePointCount, frontierData, frontierPointCount, frontierSeries, methodColors, realisedText, targetText, type NumberedRun } from './run-views-data';

const DENSE = '#111827';

const pad = (min: number, max: number): [number, number] => {
  const margin = max > min ? (max - min) * 0.08 : Math.max(1, Math.abs(max) * 0.1);
  return [min - margin, max + margin];
};

export function FrontierChart({ runs }: { runs: NumberedRun[] }) {
  const records: RunRecord[] = runs.map((r) => r.run);
  const series = frontierSeries(records);
  const points = frontierPointCount(records);
  const densePoints = densePointCount(records);
  const plot = useRef<uPlot | null>(null);
  const scatter = () => null;
  const container = useUPlot({
    height: 240,
    plotRef: plot,
    build: () =>
      series.length === 0
        ? null
        : {
            mode: 1,
            // Pad both axes so points at the extremes are not cut by the plot's edge.
            scales: { x: { time: false, range: (_u, min, max) => pad(min, max) }, y: { range: (_u, min, max) => pad(min, max) } },
            series: [
              { label: 'Decode tokens/s' },
              { label: 'Dense', stroke: DENSE, fill: DENSE, paths: scatter, points: { show: true, size: 11, fill: '#ffffff', stroke: DENSE, width: 2 } },
              ...series.map((s, i) => {
                const color = methodColors[i % methodColors.length];
                return { label: s.label, stroke: color, fill: color, paths: scatter, points: { show: true, size: 9, fill: color } };
              }),
            ],
            axes: [{ label: 'Decode tokens/s (higher is faster)' }, { label: 'Perplexity', size: 56 }],
          },
    data: () => frontierData(records, series),
    rebuildKey: series.map((s) => s.methodId).join('|'),
    dataKey: runs,
  });

  const title = 'Quality vs speed';
  const shown = runs.filter(({ run }) => run.pplAfter !== null && run.decodeTokensPerSPruned !== null);
  return (
    <ChartFrame name="frontier" title={title} plots={[plot]} testId="runs-frontier-chart" dataAttrs={{ points, 'dense-points': densePoints, series: series.length }}
      note={
        <>
          Lower perplexity (down) and more tokens/s (right) is better. Sparsity methods (zeroed weights) sit at ≈ dense speed: these kernels are dense,
          so zeros cost the same time. Removing blocks is what makes the model faster here.
          {series.length === 0 && ' No run has both perplexity and speed yet.'}
        </>
      }
      table={
        <table className="table compact">
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Method</th><th scope="col">Target ratio</th><th scope="col">Realised sparsity</th><th scope="col">Decode tok/s pruned</th><th scope="col">Perplexity after</th><th scope="col">Decode tok/s dense</th><th scope="col">Perplexity dense</th></tr>
          </thead>
          <tbody>
            {shown.map(({ run, number }) => (
              <tr key={run.id}>
                <th scope="row">#{number}</th><td>{run.methodLabel}</td>
                <td>{targetText(run)}</td><td data-testid="frontier-realised" data-value={realisedSparsity(run) ?? ''}>{realisedText(run)}</td>
                <td>{formatNumber(run.decodeTokensPerSPruned!, 1)}</td><td>{formatNumber(run.pplAfter!, 3)}</td>
                <td>{run.decodeTokensPerSDense === null ? '—' : formatNumber(run.decodeTokensPerSDense, 1)}</td>
                <td>{run.pplBefore === null ? '—' : formatNumber(run.pplBefore, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }>
      {series.length > 0 && (
        <div ref={container} className="runs-chart-box" role="img"
          aria-label={`Perplexity after pruning vs decode tokens per second: ${points} pruned points (${series.map((s) => s.label).join(', ')}) and ${densePoints} dense points`} />
      )}
    </ChartFrame>
  );
}
