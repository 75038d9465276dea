// "PNG" / "SVG" download buttons for one chart; the caller says how to make each Blob (chart-export.ts).
// Must not import the store.

import { useState, type RefObject } from 'react';
import type uPlot from 'uplot';
import { downloadBlob } from '../download-text';
import { fileStem, legendOf, uplotPng, uplotSvg } from './chart-export';

export function ChartExportButtons(props: { name: string; title: string; png: () => Promise<Blob>; svg: () => Blob | Promise<Blob>; disabled?: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const save = (ext: 'png' | 'svg', make: () => Blob | Promise<Blob>) => async () => {
    try {
      setError(null);
      downloadBlob(`prunelab-${fileStem(props.name)}.${ext}`, await make());
    } catch (e) {
      setError(`Could not export the ${props.title} chart as ${ext.toUpperCase()}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return (
    <span className="chart-export">
      <button type="button" className="button small-button" disabled={props.disabled} data-testid="chart-export-png" data-chart={props.name}
        aria-label={`Download ${props.title} chart as PNG`} onClick={save('png', props.png)}>
        PNG
      </button>
      <button type="button" className="button small-button" disabled={props.disabled} data-testid="chart-export-svg" data-chart={props.name}
        aria-label={`Download ${props.title} chart as SVG`} onClick={save('svg', props.svg)}>
        SVG
      </button>
      {error && <span className="field-error" role="alert">{error}</span>}
    </span>
  );
}

/** The buttons for one uPlot chart: its canvas, titled, with its legend (the chart must be drawn). */
export function PlotExportButtons(props: { name: string; title: string; plot: RefObject<uPlot | null>; disabled?: boolean }) {
  const drawn = (): uPlot => {
    if (!props.plot.current) throw new Error('the chart is not drawn yet');
    return props.plot.current;
  };
  return (
    <ChartExportButtons name={props.name} title={props.title} disabled={props.disabled}
      png={() => uplotPng(drawn().ctx.canvas, props.title, legendOf(drawn()))}
      svg={() => uplotSvg(drawn().ctx.canvas, props.title, legendOf(drawn()))} />
  );
}
