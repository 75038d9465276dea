// Per-layer shapes of the loaded model (they differ once a model is pruned).

import type { LayerSummary } from '../lab/lab-api';
import { formatCount } from './format';

export function LayerTable({ layers }: { layers: LayerSummary[] }) {
  return (
    <table className="table" data-testid="layer-table">
      <thead>
        <tr>
          <th scope="col">Layer</th>
          <th scope="col">Source layer</th>
          <th scope="col">Heads</th>
          <th scope="col">KV heads</th>
          <th scope="col">Head dim</th>
          <th scope="col">FFN</th>
          <th scope="col">Parameters</th>
        </tr>
      </thead>
      <tbody>
        {layers.map((layer) => (
          <tr key={layer.index}>
            <td>{layer.index}</td>
            <td>{layer.sourceIndex}</td>
            <td>{layer.numHeads}</td>
            <td>{layer.numKvHeads}</td>
            <td>{layer.headDim}</td>
            <td>{layer.intermediateSize}</td>
            <td>{formatCount(layer.parameters)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
