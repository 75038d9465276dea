// Each run's removed blocks marked on the model's layer diagram: a row of boxes in the original numbering
// (removed crossed out, kept ones filled by their sparsity), styled like BlockDiagram's but with their own
// test ids (BlockDiagram's block-box ids belong to the Prune panel's result). Must not import the store.

import { formatNumber } from '../format';
import { keptIndex, type NumberedRun } from './run-views-data';
import './runs.css';

export function RunBlocks({ layersBefore, removedBlocks, blockSparsity }: { layersBefore: number; removedBlocks: number[]; blockSparsity: number[] }) {
  return (
    <div className="blocks run-blocks" role="list" aria-label="Blocks of the original model">
      {keptIndex(layersBefore, removedBlocks).map((pruned, block) => {
        const sparsity = pruned === null ? null : (blockSparsity[pruned] ?? 0);
        return (
          <div key={block} role="listitem" className={pruned === null ? 'block removed' : 'block'} data-testid="run-block" data-block={block} data-removed={String(pruned === null)}
            title={pruned === null ? `Block ${block}: removed` : `Block ${block}: sparsity ${formatNumber(sparsity!, 4)}`}>
            {pruned !== null && <div className="block-fill" style={{ height: `${Math.round(sparsity! * 100)}%` }} />}
            <span className="block-label">{block}</span>
            <span className="block-note">{pruned === null ? 'removed' : sparsity! > 0 ? `${(sparsity! * 100).toFixed(1)}%` : 'dense'}</span>
          </div>
        );
      })}
    </div>
  );
}

export function RunDiagrams({ runs }: { runs: NumberedRun[] }) {
  return (
    <section className="runs-view" data-testid="runs-diagrams" aria-labelledby="runs-diagrams-title">
      <h3 id="runs-diagrams-title" className="runs-view-title">Blocks per run</h3>
      <p className="muted small">Removed blocks are crossed out; a kept block fills with its share of zeroed weights.</p>
      <ul className="run-diagrams">
        {runs.map(({ run, number }) => (
          <li key={run.id} data-testid="run-diagram" data-removed={run.removedBlocks.join(',')} aria-label={`Run #${number}, ${run.methodLabel}`}>
            <span className="small"><strong>#{number}</strong> {run.methodLabel}{run.removedBlocks.length > 0 ? ` — removed ${run.removedBlocks.join(', ')}` : ''}</span>
            <RunBlocks layersBefore={run.layersBefore} removedBlocks={run.removedBlocks} blockSparsity={run.blockSparsity} />
          </li>
        ))}
      </ul>
    </section>
  );
}
