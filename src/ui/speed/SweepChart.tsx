// Decode ms/token against context length (a GPU benchmark's sweep), with the physical floor beside it: the ms/token
// the adapter's read bandwidth allows at each context (1000 ÷ the bound; none on wasm). uPlot via use-uplot; x on a
// log scale. The points ride on data attributes (contexts, ms/token medians) for tests; the sweep table below the
// chart is its text alternative.

import { useRef } from 'react';
import type uPlot from 'uplot';
import type { GpuBenchResult } from '../../lab/lab-api';
import { PlotExportButtons } from '../runs/ChartExportButtons';
import { useUPlot } from '../use-uplot';

const TITLE = 'Decode ms/token against context length';

type Sweep = GpuBenchResult['sweep'];

export function sweepChartData(sweep: Sweep): uPlot.AlignedData {
  return [
    sweep.map((p) => p.contextTokens),
    sweep.map((p) => p.msPerToken.median),
    sweep.map((p) => (p.bound ? 1000 / p.bound.boundTokensPerS : null)),
  ];
}

export function SweepChart({ sweep, describedBy }: { sweep: Sweep; describedBy?: string }) {
  const plot = useRef<uPlot | null>(null);
  const hasBound = sweep.some((p) => p.bound !== null);
  const container = useUPlot({
    plotRef: plot,
    height: 220,
    build: () => ({
      scales: { x: { time: false, distr: 3 }, y: { range: (_u, _min, max) => [0, max * 1.1 || 1] } },
      series: [
        { label: 'Context (tokens)' },
        { label: 'Decode ms/token (median)', stroke: '#1d4ed8', width: 2, points: { show: true, size: 6 } },
        { label: 'Bandwidth floor (ms/token)', stroke: '#6b7280', width: 1, dash: [6, 4], points: { show: false }, show: hasBound },
      ],
      axes: [{ label: 'Tokens in the KV cache' }, { label: 'ms per token' }],
    }),
    data: () => sweepChartData(sweep),
    rebuildKey: hasBound,
    dataKey: sweep,
  });
  return (
    <>
      <PlotExportButtons name="decode-vs-context" title={TITLE} plot={plot} disabled={sweep.length === 0} />
      <div
        ref={container}
        className="chart"
        data-testid="gpu-bench-chart"
        data-count={sweep.length}
        data-contexts={sweep.map((p) => p.contextTokens).join(',')}
        data-ms-per-token={sweep.map((p) => p.msPerToken.median).join(',')}
        role="img"
        aria-label={`${TITLE}, ${sweep.length} points`}
        aria-describedby={describedBy}
      />
    </>
  );
}
