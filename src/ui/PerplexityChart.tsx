// Live chart of perplexity per window while an evaluation runs (uPlot; the store appends points).

import { useRef } from 'react';
import type uPlot from 'uplot';
import type { PerplexityPoint } from '../store/lab-state';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { useUPlot } from './use-uplot';

const TITLE = 'Perplexity per window';

function toData(points: PerplexityPoint[]): uPlot.AlignedData {
  return [points.map((p) => p.windowsDone), points.map((p) => p.runningPpl), points.map((p) => p.windowPpl)];
}

export function PerplexityChart({ points }: { points: PerplexityPoint[] }) {
  const plot = useRef<uPlot | null>(null);
  const container = useUPlot({
    plotRef: plot,
    height: 220,
    build: () => ({
      scales: { x: { time: false } },
      series: [
        { label: 'Windows' },
        { label: 'Running perplexity', stroke: '#1d4ed8', width: 2 },
        { label: 'Window perplexity', stroke: '#9ca3af', width: 1, points: { show: false } },
      ],
      // Window counts are whole numbers: only integer tick steps on x.
      axes: [{ label: 'Windows evaluated', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { label: 'Perplexity' }],
    }),
    data: () => toData(points),
    rebuildKey: 'once',
    dataKey: points,
  });

  return (
    <>
      <PlotExportButtons name="perplexity-per-window" title={TITLE} plot={plot} disabled={points.length === 0} />
      <div
        ref={container}
        className="chart"
        data-testid="eval-chart"
        data-points={points.length}
        role="img"
        aria-label={`${TITLE}, ${points.length} points`}
      />
    </>
  );
}
