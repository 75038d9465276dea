// A finished run's trace, per entry kind: SLEB candidates per step, block influence scores, OWL
// outlier ratios, NeuroAL grid points, DReSS's loss and slice norms. Layer-done entries are progress only and not repeated here.
// The per-kind tables are exported: the Runs panel's stored traces (runs/RunTraces.tsx) use them too.

import type { TraceEntry } from '../pruning/plan';
import { formatNumber } from './format';
import { DressChart, dressSteps } from './DressChart';
import { MovementChart, movementSteps } from './MovementChart';
import { SlebChart, SlebTable, slebSteps } from './SlebTrace';

export type TraceOf<K extends TraceEntry['kind']> = Extract<TraceEntry, { kind: K }>;

export function ofKind<K extends TraceEntry['kind']>(trace: TraceEntry[], kind: K): TraceOf<K>[] {
  return trace.filter((entry): entry is TraceOf<K> => entry.kind === kind);
}

const Caption = ({ text }: { text?: string }) => (text ? <caption className="small muted">{text}</caption> : null);

export function InfluenceTable({ entry, testId, caption }: { entry: TraceOf<'block-influence'>; testId: string; caption?: string }) {
  return (
    <table className="table compact" data-testid={testId}>
      <Caption text={caption} />
      <thead>
        <tr><th scope="col">Block</th><th scope="col">Block influence (1 − cos(in, out))</th></tr>
      </thead>
      <tbody>
        {entry.scores.map((s) => (
          <tr key={s.block}><td>{s.block}</td><td data-value={String(s.influence)}>{formatNumber(s.influence, 5)}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export function OwlTable({ entry, testId, caption }: { entry: TraceOf<'owl-outliers'>; testId: string; caption?: string }) {
  return (
    <table className="table compact" data-testid={testId}>
      <Caption text={caption} />
      <thead>
        <tr><th scope="col">Block</th><th scope="col">Outlier ratio</th><th scope="col">Block sparsity</th></tr>
      </thead>
      <tbody>
        {entry.blocks.map((b) => (
          <tr key={b.block}><td>{b.block}</td><td>{formatNumber(b.outlierRatio, 4)}</td><td>{formatNumber(b.sparsity, 4)}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export function NeuroalGridTable({ grid, testId, caption }: { grid: TraceOf<'neuroal-grid'>[]; testId: string; caption?: string }) {
  return (
    <table className="table compact" data-testid={testId}>
      <Caption text={caption} />
      <thead>
        <tr><th scope="col">Stage</th><th scope="col">λ</th><th scope="col">Objective</th><th scope="col">Chosen</th></tr>
      </thead>
      <tbody>
        {grid.map((g, i) => (
          <tr key={i} className={g.chosen ? 'chosen' : undefined}>
            <td>{g.stage}</td><td>{g.lambda}</td><td data-value={String(g.objective)}>{formatNumber(g.objective, 5)}</td><td>{g.chosen ? '✓ chosen' : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TraceView({ trace, numBlocks }: { trace: TraceEntry[]; numBlocks: number }) {
  const sleb = slebSteps(trace);
  const influence = ofKind(trace, 'block-influence');
  const owl = ofKind(trace, 'owl-outliers');
  const grid = ofKind(trace, 'neuroal-grid');
  const dress = dressSteps(trace);
  const moves = movementSteps(trace);
  if (sleb.length + influence.length + owl.length + grid.length + dress.length + moves.length === 0) return null;
  return (
    <details open data-testid="prune-trace" data-entries={trace.length}>
      <summary>Trace</summary>
      {sleb.length > 0 && (
        <>
          <SlebChart steps={sleb} numBlocks={numBlocks} />
          <SlebTable steps={sleb} testId="sleb-trace" />
        </>
      )}
      {influence.map((entry, i) => <InfluenceTable key={`bi-${i}`} entry={entry} testId="influence-trace" />)}
      {owl.map((entry, i) => <OwlTable key={`owl-${i}`} entry={entry} testId="owl-trace" />)}
      {grid.length > 0 && <NeuroalGridTable grid={grid} testId="neuroal-trace" />}
      {dress.length > 0 && <DressChart steps={dress} />}
      {moves.length > 0 && <MovementChart steps={moves} />}
    </details>
  );
}
