// Decode tokens/s and prefill ms, dense vs pruned, per run (uPlot bars; x = the run's number in the
// table; runs without speed are left out). Two small plots, one frame, one export. Must not import the store.

import { useRef, type MutableRefObject } from 'react';
import uPlot from 'uplot';
import { formatNumber } from '../format';
import { useUPlot } from '../use-uplot';
import { ChartFrame } from './ChartFrame';
import { hasSpeed, speedData, type NumberedRun } from './run-views-data';

const DENSE = '#6b7280';
const PRUNED = '#1d4ed8';

function SpeedBars({ runs, measure, plotRef }: { runs: NumberedRun[]; measure: 'decode' | 'prefill'; plotRef: MutableRefObject<uPlot | null> }) {
  const unit = measure === 'decode' ? 'Decode tokens/s' : 'Prefill ms';
  const count = runs.filter(({ run }) => hasSpeed(run)).length;
  const container = useUPlot({
    height: 180,
    plotRef,
    build: () =>
      count === 0
        ? null
        : {
            scales: {
              x: { time: false, range: (_u, min, max) => [min - 0.6, max + 0.6] },
              y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
            },
            series: [
              { label: 'Run #' },
              { label: 'Dense', stroke: DENSE, fill: `${DENSE}cc`, paths: uPlot.paths.bars!({ size: [0.35, 36], align: -1 }), points: { show: false } },
              { label: 'Pruned', stroke: PRUNED, fill: `${PRUNED}cc`, paths: uPlot.paths.bars!({ size: [0.35, 36], align: 1 }), points: { show: false } },
            ],
            axes: [
              { label: 'Run # (as in the table)', incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? `#${v}` : '')) },
              { label: unit, size: 56 },
            ],
          },
    data: () => speedData(runs, measure),
    rebuildKey: count === 0 ? 'none' : 'some',
    dataKey: runs,
  });
  return <div ref={container} className="runs-chart-box" role="img" data-testid={`runs-speed-${measure}`} aria-label={`${unit}, dense (grey) and pruned (blue) per run, ${count} runs`} />;
}

export function SpeedChart({ runs }: { runs: NumberedRun[] }) {
  const decodePlot = useRef<uPlot | null>(null);
  const prefillPlot = useRef<uPlot | null>(null);
  const measured = runs.filter(({ run }) => hasSpeed(run));
  const maybe = (v: number | null, digits: number) => (v === null ? '—' : formatNumber(v, digits));
  const title = 'Speed, dense vs pruned';
  return (
    <ChartFrame name="speed" title={title} plots={[decodePlot, prefillPlot]} testId="runs-speed-chart" dataAttrs={{ points: measured.length }}
      note={measured.length === 0 ? 'No run measured speed yet (tick “Measure speed” in the Prune panel).' : 'Grey: dense model, blue: pruned, measured in the same run on the same adapter.'}
      table={
        <table className="table compact">
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Method</th><th scope="col">Decode tok/s dense</th><th scope="col">Decode tok/s pruned</th><th scope="col">Prefill ms dense</th><th scope="col">Prefill ms pruned</th></tr>
          </thead>
          <tbody>
            {measured.map(({ run, number }) => (
              <tr key={run.id}>
                <th scope="row">#{number}</th><td>{run.methodLabel}</td>
                <td>{maybe(run.decodeTokensPerSDense, 1)}</td><td>{maybe(run.decodeTokensPerSPruned, 1)}</td>
                <td>{maybe(run.prefillMsDense, 1)}</td><td>{maybe(run.prefillMsPruned, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }>
      {measured.length > 0 && (
        <div className="runs-speed-pair">
          <SpeedBars runs={runs} measure="decode" plotRef={decodePlot} />
          <SpeedBars runs={runs} measure="prefill" plotRef={prefillPlot} />
        </div>
      )}
    </ChartFrame>
  );
}
