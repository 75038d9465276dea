// A finished run's trace, per entry kind: SLEB candidates per step, block influence scores, OWL
// outlier ratios, NeuroAL grid points. Layer-done entries are progress only and not repeated here.

import type { TraceEntry } from '../pruning/plan';
import { formatNumber } from './format';
import { SlebChart, SlebTable, slebSteps } from './SlebTrace';

type Of<K extends TraceEntry['kind']> = Extract<TraceEntry, { kind: K }>;

function ofKind<K extends TraceEntry['kind']>(trace: TraceEntry[], kind: K): Of<K>[] {
  return trace.filter((entry): entry is Of<K> => entry.kind === kind);
}

export function TraceView({ trace, numBlocks }: { trace: TraceEntry[]; numBlocks: number }) {
  const sleb = slebSteps(trace);
  const influence = ofKind(trace, 'block-influence');
  const owl = ofKind(trace, 'owl-outliers');
  const grid = ofKind(trace, 'neuroal-grid');
  if (sleb.length + influence.length + owl.length + grid.length === 0) return null;
  return (
    <details open data-testid="prune-trace" data-entries={trace.length}>
      <summary>Trace</summary>
      {sleb.length > 0 && (
        <>
          <SlebChart steps={sleb} numBlocks={numBlocks} />
          <SlebTable steps={sleb} testId="sleb-trace" />
        </>
      )}
      {influence.map((entry, i) => (
        <table key={`bi-${i}`} className="table compact" data-testid="influence-trace">
          <thead>
            <tr><th scope="col">Block</th><th scope="col">Block influence (1 − cos(in, out))</th></tr>
          </thead>
          <tbody>
            {entry.scores.map((s) => (
              <tr key={s.block}><td>{s.block}</td><td data-value={String(s.influence)}>{formatNumber(s.influence, 5)}</td></tr>
            ))}
          </tbody>
        </table>
      ))}
      {owl.map((entry, i) => (
        <table key={`owl-${i}`} className="table compact" data-testid="owl-trace">
          <thead>
            <tr><th scope="col">Block</th><th scope="col">Outlier ratio</th><th scope="col">Block sparsity</th></tr>
          </thead>
          <tbody>
            {entry.blocks.map((b) => (
              <tr key={b.block}><td>{b.block}</td><td>{formatNumber(b.outlierRatio, 4)}</td><td>{formatNumber(b.sparsity, 4)}</td></tr>
            ))}
          </tbody>
        </table>
      ))}
      {grid.length > 0 && (
        <table className="table compact" data-testid="neuroal-trace">
          <thead>
            <tr><th scope="col">Stage</th><th scope="col">λ</th><th scope="col">Objective</th><th scope="col">Chosen</th></tr>
          </thead>
          <tbody>
            {grid.map((g, i) => (
              <tr key={i}><td>{g.stage}</td><td>{g.lambda}</td><td>{formatNumber(g.objective, 5)}</td><td>{g.chosen ? 'yes' : ''}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
