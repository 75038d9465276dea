// RunRecords for the Runs views' tests: a new record (every optional field) and an old one (none of them).

import type { RunRecord } from '../../../src/store/run-record';

const linears = ['self_attn.q_proj', 'self_attn.k_proj', 'mlp.down_proj'];

/** A stored record from before layerSparsity / trace / generation / fp32BytesAfter existed. */
export function oldRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'old-1', finishedAtMs: 1_000, modelName: 'stories260K', modelKey: 'abcd0123',
    methodId: 'drop-blocks', methodLabel: 'Drop blocks', methodKind: 'blocks', params: { blocks: '1' },
    calibration: { windows: 4, seqLen: 64, sampling: 'first', seed: 0, textName: 'tinystories' },
    overallSparsity: 0, layersBefore: 3, layersAfter: 2, parametersBefore: 3000, parametersAfter: 2000,
    pplBefore: 4, pplAfter: 6, pplWindows: 1, pplSeqLen: 64, pplTextName: 'wikitext2',
    decodeTokensPerSDense: null, decodeTokensPerSPruned: null, prefillMsDense: null, prefillMsPruned: null, speedAdapter: null,
    elapsedMs: 500, removedBlocks: [1], blockSparsity: [0, 0],
    ...overrides,
  };
}

/** A magnitude run on a 3-block model with every optional field, per-layer sparsity 0.5 + block/10 + linear/100. */
export function newRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return oldRun({
    id: 'new-1', finishedAtMs: 2_000, methodId: 'magnitude', methodLabel: 'Magnitude', methodKind: 'sparsity', params: { sparsity: 0.5 },
    overallSparsity: 0.5, layersAfter: 3, removedBlocks: [], blockSparsity: [0.5, 0.6, 0.7], parametersAfter: 3000,
    decodeTokensPerSDense: 100, decodeTokensPerSPruned: 101, prefillMsDense: 20, prefillMsPruned: 19.5, speedAdapter: 'webgpu',
    layerSparsity: [0, 1, 2].flatMap((block) => linears.map((l, i) => ({ block, name: `model.layers.${block}.${l}.weight`, sparsity: 0.5 + block / 10 + i / 100 }))),
    trace: [{ kind: 'sleb-step', step: 0, candidates: [{ block: 0, nll: 1, ppl: 2.7 }, { block: 1, nll: 0.5, ppl: 1.65 }], chosen: 1 }],
    generation: { prompt: 'Once upon a time', dense: 'Once upon a time, there was <Lily>', pruned: 'Once upon a time the the' },
    fp32BytesAfter: 12_000,
    ...overrides,
  });
}

/** A Wanda run that asked for 0.7 and reached 0.69: target and realised sparsity differ on purpose. */
export function wandaRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return newRun({
    id: 'wanda-70', finishedAtMs: 3_000, methodId: 'wanda', methodLabel: 'Wanda', params: { sparsity: 0.7, pattern: 'unstructured' },
    overallSparsity: 0.69, pplAfter: 8, decodeTokensPerSPruned: 102,
    ...overrides,
  });
}

/** A record as IndexedDB may hold it from before overallSparsity was kept: the field is absent. */
export function noSparsityRun(overrides: Partial<RunRecord> = {}): RunRecord {
  const run: Partial<RunRecord> = newRun({ id: 'no-sparsity', finishedAtMs: 4_000, methodId: 'magnitude', methodLabel: 'Magnitude', params: { sparsity: 0.7 }, ...overrides });
  delete run.overallSparsity;
  return run as RunRecord;
}
