// checkExportable: uniform blocks (as loaded, a block removed) export in both formats; a spec whose
// blocks differ (e.g. a per-layer FFN width) is refused for both, naming the block and its sizes.

import { beforeAll, describe, expect, it } from 'vitest';
import { checkExportable } from '../../src/export/exportable';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { ModelSpec } from '../../src/model/model-spec';
import { removeBlocks } from '../../src/pruning/apply-plan';
import { stories260KLayouts } from '../helpers/model-files';

describe('checkExportable', () => {
  let spec: ModelSpec;
  beforeAll(async () => {
    spec = (await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']())).spec;
  });

  it('uniform blocks: both formats, no reason', () => {
    expect(checkExportable(spec)).toEqual({ safetensors: true, transformersJs: true, reason: null });
    expect(checkExportable(removeBlocks(spec, [2]))).toEqual({ safetensors: true, transformersJs: true, reason: null });
  });

  it('blocks of different shapes: both refused with the block and sizes named', () => {
    const ragged: ModelSpec = { ...spec, layers: spec.layers.map((l, i) => (i === 3 ? { ...l, intermediateSize: 96 } : l)) };
    const result = checkExportable(ragged);
    expect(result.safetensors).toBe(false);
    expect(result.transformersJs).toBe(false);
    expect(result.reason).toMatch(/block 3 has 8 heads, 4 kv heads, head_dim 8, FFN 96 but block 0 has .*FFN 172/);
  });
});
