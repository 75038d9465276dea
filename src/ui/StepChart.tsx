// A per-step line chart with two series on two y axes (uPlot): the fine-tuning loss and learning rate,
// DReSS's LM loss and slice norm. The store appends steps; the chart redraws from them.

import { useRef } from 'react';
import type uPlot from 'uplot';
import { PlotExportButtons } from './runs/ChartExportButtons';
import { useUPlot } from './use-uplot';

export interface StepSeries {
  label: string;
  stroke: string;
  width: number;
  values: number[];
}

export function StepChart(props: {
  /** File name of the exported PNG/SVG. */
  name: string;
  title: string;
  testId: string;
  steps: number[];
  left: StepSeries;
  right: StepSeries;
  /** More data-* attributes for tests. */
  data?: Record<string, string>;
  /** The accessible description's tail, e.g. the latest values. */
  now?: string;
}) {
  const { steps, left, right } = props;
  const plot = useRef<uPlot | null>(null);
  const container = useUPlot({
    plotRef: plot,
    height: 220,
    build: () => ({
      scales: { x: { time: false }, right: { auto: true } },
      series: [
        { label: 'Step' },
        { label: left.label, stroke: left.stroke, width: left.width },
        { label: right.label, stroke: right.stroke, width: right.width, scale: 'right', points: { show: false } },
      ],
      axes: [{ label: 'Step' }, { label: left.label }, { side: 1, scale: 'right', label: right.label }],
    }),
    data: () => [steps, left.values, right.values],
    rebuildKey: 'once',
    dataKey: steps,
  });
  return (
    <>
      <PlotExportButtons name={props.name} title={props.title} plot={plot} disabled={steps.length === 0} />
      <div
        ref={container}
        className="chart"
        data-testid={props.testId}
        data-points={steps.length}
        {...Object.fromEntries(Object.entries(props.data ?? {}).map(([k, v]) => [`data-${k}`, v]))}
        role="img"
        aria-label={`${props.title}, ${steps.length} steps${props.now ? `, ${props.now}` : ''}`}
      />
    </>
  );
}
