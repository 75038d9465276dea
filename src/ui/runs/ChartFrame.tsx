// One chart's frame in the Runs views: title, PNG / SVG export of its uPlot canvas, the chart (children),
// an on-screen note, and the chart's table alternative in a <details>. Must not import the store.

import type { MutableRefObject, ReactNode } from 'react';
import type uPlot from 'uplot';
import { legendOf, stackCanvases, uplotPng, uplotSvg, type LegendItem } from './chart-export';
import { ChartExportButtons } from './ChartExportButtons';
import './runs.css';

/** The drawn plots' canvases, stacked top to bottom into one (a single plot's canvas as it is). */
function canvasOf(plots: MutableRefObject<uPlot | null>[], title: string): HTMLCanvasElement {
  const canvases = plots.map((p) => p.current?.ctx.canvas).filter((c): c is HTMLCanvasElement => c !== undefined);
  if (canvases.length === 0) throw new Error(`the ${title} chart is not drawn yet`);
  return stackCanvases(canvases);
}

/** The first drawn plot's legend (stacked plots share their series). */
function legendOfPlots(plots: MutableRefObject<uPlot | null>[]): LegendItem[] {
  const first = plots.find((p) => p.current)?.current;
  return first ? legendOf(first) : [];
}

export function ChartFrame(props: {
  name: string;
  title: string;
  /** One or more plots (e.g. decode and prefill); export stacks them. */
  plots: MutableRefObject<uPlot | null>[];
  testId: string;
  dataAttrs: Record<string, string | number>;
  note?: ReactNode;
  table: ReactNode;
  children: ReactNode;
}) {
  return (
    <figure className="runs-view" data-testid={props.testId} {...Object.fromEntries(Object.entries(props.dataAttrs).map(([k, v]) => [`data-${k}`, String(v)]))}>
      <figcaption className="runs-view-head">
        <h3 className="runs-view-title">{props.title}</h3>
        <ChartExportButtons name={props.name} title={props.title} disabled={props.dataAttrs.points === 0}
          png={() => uplotPng(canvasOf(props.plots, props.title), props.title, legendOfPlots(props.plots))}
          svg={() => uplotSvg(canvasOf(props.plots, props.title), props.title, legendOfPlots(props.plots))} />
      </figcaption>
      {props.children}
      {props.note && <p className="muted small runs-view-note">{props.note}</p>}
      <details className="runs-view-data">
        <summary>Data table</summary>
        {props.table}
      </details>
    </figure>
  );
}
