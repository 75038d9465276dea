// Measured sparsity: zeros / total over the block linear weights only (embeddings and head
// excluded, as every row-wise method reports it). Pure.

import { blockLinearNames, getWeight, type ModelSpec } from '../model/model-spec';

export interface SparsityReport {
  /** Zeros / total over all block linear weights, 0..1. */
  overall: number;
  perLayer: { block: number; name: string; sparsity: number }[];
  /** Zeros / total per block, 0..1. */
  perBlock: number[];
}

export function measureSparsity(spec: ModelSpec): SparsityReport {
  let zeros = 0;
  let total = 0;
  const perLayer: SparsityReport['perLayer'] = [];
  const perBlock: number[] = [];
  for (let block = 0; block < spec.layers.length; block++) {
    let blockZeros = 0;
    let blockTotal = 0;
    for (const name of blockLinearNames(spec, block)) {
      const data = getWeight(spec, name).data;
      let z = 0;
      for (let i = 0; i < data.length; i++) if (data[i] === 0) z++;
      perLayer.push({ block, name, sparsity: data.length ? z / data.length : 0 });
      blockZeros += z;
      blockTotal += data.length;
    }
    perBlock.push(blockTotal ? blockZeros / blockTotal : 0);
    zeros += blockZeros;
    total += blockTotal;
  }
  return { overall: total ? zeros / total : 0, perLayer, perBlock };
}
