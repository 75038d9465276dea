// DReSS's regularization, live and in the run's trace: LM loss and Σ‖slice‖₂ of the channels it will
// delete, per step (uPlot).

import { useRef } from 'react';
import type uPlot from 'uplot';
import type { TraceEntry } from '../pruning/plan';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { useUPlot } from './use-uplot';

type DressStep = Extract<TraceEntry, { kind: 'dress-step' }>;

const TITLE = 'DReSS: LM loss and the norm of the slices to delete';

export function dressSteps(trace: TraceEntry[]): DressStep[] {
  return trace.filter((e): e is DressStep => e.kind === 'dress-step');
}

export function DressChart({ steps, testId = 'dress-chart' }: { steps: DressStep[]; testId?: string }) {
  const plot = useRef<uPlot | null>(null);
  const container = useUPlot({
    plotRef: plot,
    height: 220,
    build: () => ({
      scales: { x: { time: false }, norm: { auto: true } },
      series: [
        { label: 'Step' },
        { label: 'LM loss', stroke: '#1d4ed8', width: 2 },
        { label: 'Σ‖slice‖₂', stroke: '#b45309', width: 2, scale: 'norm' },
      ],
      axes: [{ label: 'Step' }, { label: 'LM loss' }, { side: 1, scale: 'norm', label: 'Σ‖slice‖₂' }],
    }),
    data: () => [steps.map((s) => s.step), steps.map((s) => s.loss), steps.map((s) => s.sliceNorm)],
    rebuildKey: 'once',
    dataKey: steps,
  });
  const last = steps[steps.length - 1];
  return (
    <>
      <PlotExportButtons name="dress-regularization" title={TITLE} plot={plot} disabled={steps.length === 0} />
      <div
        ref={container}
        className="chart"
        data-testid={testId}
        data-points={steps.length}
        data-slice-norms={steps.map((s) => s.sliceNorm).join(',')}
        role="img"
        aria-label={`${TITLE}, ${steps.length} steps${last ? `, now loss ${last.loss.toFixed(3)} and slice norm ${last.sliceNorm.toFixed(3)}` : ''}`}
      />
    </>
  );
}
