// The stored trace of a search method for one run picked from a select: SLEB's candidate perplexity per
// step (SlebChart + SlebTable), NeuroAL's λ grid (objective, chosen marked), ShortGPT's block influence,
// OWL's outlier ratios. Older records lack traces. Must not import the store.

import { useRef, useState } from 'react';
import type uPlot from 'uplot';
import type { TraceEntry } from '../../pruning/plan';
import { SlebChart, SlebTable, slebSteps } from '../SlebTrace';
import { InfluenceTable, NeuroalGridTable, OwlTable, ofKind } from '../TraceView';
import { PlotExportButtons } from './ChartExportButtons';
import type { NumberedRun } from './run-views-data';
import './runs.css';


/** A search trace worth showing: anything but per-layer progress entries. */
export const hasSearchTrace = (trace: TraceEntry[] | undefined): boolean => (trace ?? []).some((e) => e.kind !== 'layer-pruned');

export function RunTraces({ runs }: { runs: NumberedRun[] }) {
  const traced = runs.filter(({ run }) => hasSearchTrace(run.trace));
  const [picked, setPicked] = useState<string | null>(null);
  const latest = [...traced].sort((a, b) => b.run.finishedAtMs - a.run.finishedAtMs)[0];
  const chosen = traced.find(({ run }) => run.id === picked) ?? latest;
  const trace = chosen?.run.trace ?? [];
  const sleb = slebSteps(trace);
  const grid = ofKind(trace, 'neuroal-grid');
  const influence = ofKind(trace, 'block-influence');
  const owl = ofKind(trace, 'owl-outliers');
  const slebPlot = useRef<uPlot | null>(null);
  const slebTitle = `SLEB candidates, run #${chosen?.number ?? ''}`;
  return (
    <section className="runs-view" data-testid="runs-trace" data-runs={traced.length} data-run-id={chosen?.run.id ?? ''} aria-labelledby="runs-trace-title">
      <h3 id="runs-trace-title" className="runs-view-title">Search traces</h3>
      {traced.length === 0 ? (
        <p className="muted small">No run with a search trace yet (SLEB, ShortGPT, OWL and NeuroAL keep one).</p>
      ) : (
        <>
          <label className="runs-trace-pick small">
            Run{' '}
            <select value={chosen.run.id} onChange={(e) => setPicked(e.target.value)} data-testid="runs-trace-select">
              {traced.map(({ run, number }) => (
                <option key={run.id} value={run.id}>#{number} {run.methodLabel}</option>
              ))}
            </select>
          </label>
          {sleb.length > 0 && (
            <>
              <PlotExportButtons name="sleb-trace" title={slebTitle} plot={slebPlot} />
              <SlebChart steps={sleb} numBlocks={chosen.run.layersBefore} plotRef={slebPlot} />
              <details>
                <summary>Data table</summary>
                <SlebTable steps={sleb} testId="runs-trace-sleb" />
              </details>
            </>
          )}
          {grid.length > 0 && <NeuroalGridTable grid={grid} testId="runs-trace-neuroal" caption="NeuroAL: objective per λ tried (lower is better); the chosen λ is marked." />}
          {influence.map((entry, i) => (
            <InfluenceTable key={`bi-${i}`} entry={entry} testId="runs-trace-influence" caption="ShortGPT: block influence, 1 − cos(input, output); the least influential go first." />
          ))}
          {owl.map((entry, i) => <OwlTable key={`owl-${i}`} entry={entry} testId="runs-trace-owl" caption="OWL: outlier ratio and the sparsity it gave each block." />)}
        </>
      )}
    </section>
  );
}
