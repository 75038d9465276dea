// The pruned model's blocks: a row of boxes in the original numbering (removed ones crossed out, kept
// ones filled by their sparsity), and the per-layer sparsity table. Plain CSS, no plotting library.

import type { LayerSparsity } from '../lab/lab-api';
import { formatNumber } from './format';

/** Original block index → index in the pruned model (null when removed). */
export function keptIndex(layersBefore: number, removedBlocks: number[]): (number | null)[] {
  let next = 0;
  return Array.from({ length: layersBefore }, (_, block) => (removedBlocks.includes(block) ? null : next++));
}

export function BlockDiagram(props: { layersBefore: number; removedBlocks: number[]; blockSparsity: number[] }) {
  const mapping = keptIndex(props.layersBefore, props.removedBlocks);
  return (
    <div className="blocks" data-testid="block-diagram" role="list" aria-label="Blocks of the original model">
      {mapping.map((prunedIndex, block) => {
        const removed = prunedIndex === null;
        const sparsity = removed ? null : (props.blockSparsity[prunedIndex] ?? 0);
        return (
          <div
            key={block}
            role="listitem"
            className={removed ? 'block removed' : 'block'}
            data-testid="block-box"
            data-block={block}
            data-removed={String(removed)}
            data-sparsity={sparsity === null ? undefined : String(sparsity)}
            title={removed ? `Block ${block}: removed` : `Block ${block} → ${prunedIndex}: sparsity ${formatNumber(sparsity!, 4)}`}
          >
            {!removed && <div className="block-fill" style={{ height: `${Math.round(sparsity! * 100)}%` }} />}
            <span className="block-label">{block}</span>
            <span className="block-note">{removed ? 'removed' : sparsity! > 0 ? `${(sparsity! * 100).toFixed(1)}%` : 'dense'}</span>
          </div>
        );
      })}
    </div>
  );
}

export function LayerSparsityTable({ layers }: { layers: LayerSparsity[] }) {
  return (
    <details data-testid="layer-sparsity">
      <summary>Per-layer sparsity ({layers.length} linear layers)</summary>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">Weight</th>
            <th scope="col">Sparsity</th>
            <th scope="col" aria-hidden="true" />
          </tr>
        </thead>
        <tbody>
          {layers.map((layer) => (
            <tr key={layer.name}>
              <td>{layer.block}</td>
              <td className="left">
                <code>{layer.name}</code>
              </td>
              <td data-value={String(layer.sparsity)}>{formatNumber(layer.sparsity, 4)}</td>
              <td className="bar-cell">
                <span className="bar" style={{ width: `${Math.round(layer.sparsity * 100)}%` }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
