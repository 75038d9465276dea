// Live training loss (and learning rate) per step while a fine-tuning runs (uPlot; the store appends steps).

import { useRef } from 'react';
import type uPlot from 'uplot';
import type { FinetuneStep } from '../lab/lab-api';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { useUPlot } from './use-uplot';

const TITLE = 'Training loss per step';

export function LossChart({ steps }: { steps: FinetuneStep[] }) {
  const plot = useRef<uPlot | null>(null);
  const container = useUPlot({
    plotRef: plot,
    height: 220,
    build: () => ({
      scales: { x: { time: false }, lr: { auto: true } },
      series: [
        { label: 'Step' },
        { label: 'Loss (mean NLL)', stroke: '#1d4ed8', width: 2 },
        { label: 'Learning rate', stroke: '#9ca3af', width: 1, scale: 'lr', points: { show: false } },
      ],
      axes: [{ label: 'Step' }, { label: 'Loss' }, { side: 1, scale: 'lr', label: 'Learning rate' }],
    }),
    data: () => [steps.map((s) => s.step), steps.map((s) => s.loss), steps.map((s) => s.lr)],
    rebuildKey: 'once',
    dataKey: steps,
  });
  return (
    <>
      <PlotExportButtons name="training-loss" title={TITLE} plot={plot} disabled={steps.length === 0} />
      <div ref={container} className="chart" data-testid="ft-chart" data-points={steps.length} role="img" aria-label={`${TITLE}, ${steps.length} points`} />
    </>
  );
}
