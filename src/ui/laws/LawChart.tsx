// Test loss against the realised compression: the measured points per recovery budget and, once fitted,
// the no-intercept law's curve per budget (uPlot), with PNG / SVG export.

import { useRef } from 'react';
import type uPlot from 'uplot';
import type { LawPointResult, LawResult } from '../../lab/lab-api';
import { PlotExportButtons } from '../runs/ChartExportButtons';
import { methodColors, percentText } from '../runs/run-views-data';
import { useUPlot } from '../use-uplot';
import { lawBudgets, lawChartData } from './law-data';

const TITLE = 'Test loss vs compression';

export function LawChart({ points, result }: { points: LawPointResult[]; result: LawResult | null }) {
  const plot = useRef<uPlot | null>(null);
  const budgets = lawBudgets(points);
  const fitted = Boolean(result?.loss);
  const container = useUPlot({
    height: 240,
    plotRef: plot,
    build: () =>
      points.length === 0
        ? null
        : {
            scales: { x: { time: false } },
            series: [
              { label: 'Compression', value: (_u: uPlot, v: number | null) => (v === null ? '—' : percentText(v)) },
              ...budgets.map((d, i) => ({ label: `measured, ${d} recovery tokens`, stroke: methodColors[i % methodColors.length], width: 0, points: { show: true, size: 8 } })),
              ...(fitted ? budgets.map((d, i) => ({ label: `law, ${d} tokens`, stroke: methodColors[i % methodColors.length], width: 1.5, dash: [6, 4], points: { show: false } })) : []),
            ],
            axes: [{ label: 'Compression r (share of parameters removed)' }, { label: 'Test loss (nats / token)' }],
          },
    data: () => lawChartData(points, result),
    rebuildKey: `${budgets.join(',')}|${fitted}`,
    dataKey: [points, result],
  });
  if (points.length === 0) return null;
  return (
    <div className="runs-chart-frame">
      <div className="runs-view-head">
        <h3 className="runs-view-title">{TITLE}</h3>
        <PlotExportButtons name="law-loss-vs-compression" title={TITLE} plot={plot} />
      </div>
      <div ref={container} className="chart" data-testid="law-chart" data-points={points.length} data-fitted={fitted} role="img"
        aria-label={`${TITLE}: ${points.length} measured points${fitted ? ' and the fitted law per recovery budget' : ''}`} />
    </div>
  );
}
