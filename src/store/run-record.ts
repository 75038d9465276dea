// One finished run as plain data (what the Runs table, chart, CSV/JSON and IndexedDB keep), built from a
// PruneResult, or from a FinetuneResult (a recovery run). Pure: must not import React, the worker or the engine.

import type { FinetuneResult, ModelSummary, PruneRequest, PruneResult, TextSource } from '../lab/lab-api';
import type { ParamValue } from '../pruning/method';
import type { TraceEntry } from '../pruning/plan';
import { partName } from '../evaluation/text-parts';

export interface RunRecord {
  id: string;
  /** When the run finished, ms since the epoch. */
  finishedAtMs: number;
  modelName: string;
  /** modelKeyOf(summary): the weights' SHA-256 (first 16 hex); runs stored before it existed hold an 8-hex FNV key. */
  modelKey: string;
  /** Made on a model loaded although its import check failed (--allow-mismatch, "Load anyway"): suspect. */
  importMismatch?: boolean;
  methodId: string;
  methodLabel: string;
  methodKind: 'blocks' | 'sparsity' | 'width';
  params: Record<string, ParamValue>;
  calibration: PruneResult['calibration'];
  overallSparsity: number;
  layersBefore: number;
  layersAfter: number;
  parametersBefore: number;
  parametersAfter: number;
  pplBefore: number | null;
  pplAfter: number | null;
  /** The evaluation the two perplexities share (null when the run did not evaluate). */
  pplWindows: number | null;
  pplSeqLen: number | null;
  pplTextName: string | null;
  decodeTokensPerSDense: number | null;
  decodeTokensPerSPruned: number | null;
  prefillMsDense: number | null;
  prefillMsPruned: number | null;
  /** What measured the speed, e.g. 'webgpu (SwiftShader)'; null without speed. */
  speedAdapter: string | null;
  elapsedMs: number;
  removedBlocks: number[];
  /** Per block of the pruned model, 0..1. */
  blockSparsity: number[];
  /** Per linear weight of the pruned model (block = pruned model's index), 0..1; the heat map's cells. Optional: older records lack it. */
  layerSparsity?: { block: number; name: string; sparsity: number }[];
  /** The method's search trace (SLEB candidates per step, NeuroAL grid, …). Optional: older records lack it. */
  trace?: TraceEntry[];
  /** Greedy text from one prompt, dense and pruned, same run. Optional / null when the run did not generate. */
  generation?: { prompt: string; dense: string; pruned: string } | null;
  /** Zero-shot accuracy, dense and pruned, on the same items (null when the run did not measure it). Optional: older records lack it. */
  accuracy?: { dataName: string; items: number; accBefore: number; accAfter: number; accNormBefore: number; accNormAfter: number } | null;
  /** Bytes of the pruned model's weights in fp32 (parametersAfter × 4). Optional: older records lack it. */
  fp32BytesAfter?: number;
  /**
   * The lab's stored plan of the run (PruneResult.storedPlan): exports the run again, also after a reload.
   * null: not stored (planNote says why). Optional: older records and imported runs lack it.
   */
  planId?: string | null;
  planNote?: string | null;
  /** The request that made the run, for Re-run (a dropped text keeps its name only: its text is not stored). Optional. */
  request?: PruneRequest;
  /** Runs made by `lab sweep`: the manifest (file name, hash of its settings), this run's 0-based place in its expanded order and the sweep's size. */
  sweep?: SweepPlace;
  /**
   * A recovery fine-tuning run: the model is the pruning run `of` (its structure fields copied) or the
   * loaded model (`of` null), and pplBefore/pplAfter are on the held-out quarter of the training text.
   */
  recovery?: RecoveryInfo;
}

export interface RecoveryInfo {
  /** The RunRecord id of the pruning run whose model was fine-tuned; null for the loaded model. */
  of: string | null;
  mode: 'lora' | 'full';
  /** LoRA rank and alpha (null for full fine-tuning); masked: pruned zeros kept exactly. */
  lora: { rank: number; alpha: number; masked: boolean } | null;
  /** The embeddings were trained too. */
  trainEmbeddings: boolean;
  steps: number;
  stepsRequested: number;
  trainTokens: number;
  /** Training loss at the first and the last step. */
  lossFirst: number | null;
  lossLast: number | null;
  tokensPerS: number;
  backend: string;
}

export interface SweepPlace {
  manifest: string;
  manifestHash: string;
  index: number;
  runs: number;
}

type KeyedModel = Pick<ModelSummary, 'name' | 'parameters' | 'numLayers' | 'fileBytes'> & { weightsHash?: string; mismatchAllowed?: boolean };

/**
 * A key for "the same model": the first 16 hex digits of the weights' SHA-256 (ModelSummary.weightsHash).
 * Without a hash (never for a loaded model; kept for callers with partial summaries) it falls back to
 * FNV-1a (32 bit, 8 hex) over name, parameters, layer count and file bytes.
 */
export function modelKeyOf(model: KeyedModel): string {
  return model.weightsHash ? model.weightsHash.slice(0, 16) : legacyModelKeyOf(model);
}

/** The key runs were stored under before weight hashing (session 1): FNV-1a, 32 bit, 8 hex. */
export function legacyModelKeyOf(model: KeyedModel): string {
  const text = `${model.name}|${model.parameters}|${model.numLayers}|${model.fileBytes}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Whether a stored run was made on this model: its weights key, or (older runs) the legacy key. */
export function isRunOfModel(run: Pick<RunRecord, 'modelKey'>, model: KeyedModel): boolean {
  if (run.modelKey === modelKeyOf(model)) return true;
  return run.modelKey.length === 8 && run.modelKey === legacyModelKeyOf(model);
}

export interface RunContext {
  model: KeyedModel;
  method: { label: string; kind: 'blocks' | 'sparsity' | 'width' } | null;
  finishedAtMs: number;
  id: string;
  /** The request that made the run (kept for Re-run, dropped texts by name only). */
  request?: PruneRequest;
}

/** A text source as a record keeps it: a dropped file by name only (its text stays out of IndexedDB and JSON). */
const sourceByName = (source: TextSource): TextSource => (source.kind === 'file' ? { kind: 'file', name: source.name, text: '' } : source);

/** The request without dropped texts' contents (Re-run asks for the file again when it is not the chosen one). */
export function storableRequest(request: PruneRequest): PruneRequest {
  return {
    ...request,
    calibration: { ...request.calibration, text: sourceByName(request.calibration.text) },
    ...(request.evaluation ? { evaluation: { ...request.evaluation, text: sourceByName(request.evaluation.text) } } : {}),
  };
}

/**
 * Runs that asked for the same thing on the same model (method, parameters, calibration, evaluation):
 * the key is equal. Their spread shows run-to-run noise; the table marks the later ones.
 */
export function duplicateKey(run: RunRecord): string {
  const c = run.calibration;
  return JSON.stringify([run.modelKey, run.methodId, run.recovery ? 'recovery' : '', Object.entries(run.params).sort(), c.textName, c.windows, c.seqLen, c.sampling, c.seed, run.pplTextName, run.pplWindows, run.pplSeqLen]);
}

export function runRecordOf(result: PruneResult, context: RunContext): RunRecord {
  const speed = result.speedBefore ?? result.speedAfter;
  return {
    id: context.id,
    finishedAtMs: context.finishedAtMs,
    modelName: context.model.name,
    modelKey: modelKeyOf(context.model),
    ...(context.model.mismatchAllowed ? { importMismatch: true } : {}),
    methodId: result.methodId,
    methodLabel: context.method?.label ?? result.methodId,
    methodKind: context.method?.kind ?? (result.removedBlocks.length > 0 ? 'blocks' : 'sparsity'),
    params: { ...result.params },
    calibration: { ...result.calibration },
    overallSparsity: result.overallSparsity,
    layersBefore: result.layersBefore,
    layersAfter: result.layersAfter,
    parametersBefore: result.parametersBefore,
    parametersAfter: result.parametersAfter,
    pplBefore: result.pplBefore?.ppl ?? null,
    pplAfter: result.pplAfter?.ppl ?? null,
    pplWindows: result.pplAfter?.windows ?? result.pplBefore?.windows ?? null,
    pplSeqLen: result.pplAfter?.seqLen ?? result.pplBefore?.seqLen ?? null,
    pplTextName: result.pplAfter?.textName ?? result.pplBefore?.textName ?? null,
    decodeTokensPerSDense: result.speedBefore?.decodeTokensPerS.median ?? null,
    decodeTokensPerSPruned: result.speedAfter?.decodeTokensPerS.median ?? null,
    prefillMsDense: result.speedBefore?.prefillMs.median ?? null,
    prefillMsPruned: result.speedAfter?.prefillMs.median ?? null,
    speedAdapter: speed ? `${speed.backend}${speed.adapter ? ` (${speed.adapter})` : ''}` : null,
    elapsedMs: result.elapsedMs,
    removedBlocks: [...result.removedBlocks],
    blockSparsity: [...result.blockSparsity],
    layerSparsity: result.layerSparsity.map((l) => ({ ...l })),
    trace: structuredClone(result.trace),
    generation: result.generation ? { prompt: result.generation.prompt, dense: result.generation.dense.text, pruned: result.generation.pruned.text } : null,
    accuracy: accuracyOf(result),
    fp32BytesAfter: result.parametersAfter * 4,
    planId: result.storedPlan?.planId ?? null,
    planNote: result.storedPlan?.reason ?? null,
    ...(context.request ? { request: storableRequest(context.request) } : {}),
  };
}

/** The chart's line a run belongs to: its method, or its method and recovery ("wanda + lora r8"), apart from the method's prune runs. */
export function chartSeriesKey(run: Pick<RunRecord, 'methodId' | 'recovery'>): string {
  const r = run.recovery;
  return r ? `${run.methodId} + ${r.lora ? `lora r${r.lora.rank}` : 'full'}` : run.methodId;
}

function accuracyOf(result: PruneResult): RunRecord['accuracy'] {
  const [before, after] = [result.accuracyBefore, result.accuracyAfter];
  if (!before || !after) return null;
  return { dataName: after.dataName, items: after.items, accBefore: before.acc, accAfter: after.acc, accNormBefore: before.accNorm, accNormAfter: after.accNorm };
}

/** What a recovery run is called in the Runs table: "<source method> + LoRA r8" (or "+ full fine-tuning"). */
export function recoveryLabel(result: Pick<FinetuneResult, 'lora' | 'trainEmbeddings'>, source: Pick<RunRecord, 'methodLabel'> | null): string {
  const how = (result.lora ? `LoRA r${result.lora.rank}${result.lora.masked ? ' masked' : ''}` : 'full fine-tuning') + (result.trainEmbeddings ? ' + embeddings' : '');
  return source ? `${source.methodLabel} + ${how}` : `dense + ${how}`;
}

/**
 * A recovery run as a RunRecord. With `source` (the pruning run whose model was fine-tuned) it keeps that
 * run's method, parameters, sparsity and layers, so the chart places it beside the run it recovered;
 * without, it describes the loaded model (no sparsity). Perplexities are the held-out ones of `result`.
 */
export function recoveryRecordOf(
  result: FinetuneResult,
  source: RunRecord | null,
  context: { model: KeyedModel; finishedAtMs: number; id: string },
): RunRecord {
  const structure = source
    ? {
        methodId: source.methodId,
        methodKind: source.methodKind,
        params: { ...source.params },
        calibration: { ...source.calibration },
        overallSparsity: source.overallSparsity,
        layersBefore: source.layersBefore,
        layersAfter: source.layersAfter,
        parametersBefore: source.parametersBefore,
        parametersAfter: source.parametersAfter,
        removedBlocks: [...source.removedBlocks],
        blockSparsity: [...source.blockSparsity],
        ...(source.layerSparsity ? { layerSparsity: source.layerSparsity.map((l) => ({ ...l })) } : {}),
        fp32BytesAfter: source.fp32BytesAfter ?? source.parametersAfter * 4,
      }
    : {
        methodId: 'dense',
        methodKind: 'sparsity' as const,
        params: {},
        calibration: { windows: 0, seqLen: 0, sampling: 'first' as const, seed: 0, textName: '' },
        overallSparsity: 0,
        layersBefore: context.model.numLayers,
        layersAfter: context.model.numLayers,
        parametersBefore: context.model.parameters,
        parametersAfter: context.model.parameters,
        removedBlocks: [],
        blockSparsity: [],
        fp32BytesAfter: context.model.parameters * 4,
      };
  const ppl = result.pplAfter ?? result.pplBefore;
  return {
    id: context.id,
    finishedAtMs: context.finishedAtMs,
    modelName: context.model.name,
    modelKey: modelKeyOf(context.model),
    ...(context.model.mismatchAllowed ? { importMismatch: true } : {}),
    methodLabel: recoveryLabel(result, source),
    ...structure,
    pplBefore: result.pplBefore?.ppl ?? null,
    pplAfter: result.pplAfter?.ppl ?? null,
    pplWindows: ppl?.windows ?? null,
    pplSeqLen: ppl?.seqLen ?? null,
    pplTextName: ppl ? partName(result.textName, 'tail') : null,
    decodeTokensPerSDense: null,
    decodeTokensPerSPruned: null,
    prefillMsDense: null,
    prefillMsPruned: null,
    speedAdapter: null,
    elapsedMs: result.elapsedMs,
    generation: null,
    recovery: {
      of: source?.id ?? null,
      mode: result.mode,
      lora: result.lora ? { ...result.lora } : null,
      trainEmbeddings: result.trainEmbeddings,
      steps: result.steps,
      stepsRequested: result.stepsRequested,
      trainTokens: result.trainTokens,
      lossFirst: result.trace[0]?.loss ?? null,
      lossLast: result.trace.at(-1)?.loss ?? null,
      tokensPerS: result.tokensPerS,
      backend: result.backend,
    },
  };
}

/**
 * The chart's x and the CSV's `ratio`: overall sparsity for sparsity methods, removed / total blocks for
 * block methods (0..1). Both are measured, so it equals realisedSparsity for every run that has
 * `overallSparsity` and kept its remaining blocks dense; use realisedSparsity where "—" matters.
 */
export function runRatio(run: RunRecord): number {
  if (run.methodKind === 'width') return widthRemoved(run) ?? 0;
  if (run.methodKind === 'blocks') return run.layersBefore > 0 ? run.removedBlocks.length / run.layersBefore : 0;
  return run.overallSparsity;
}

/**
 * The ratio the run asked for, 0..1: a sparsity method's `sparsity` param (an N:M `pattern` asks N/M),
 * a block method's removed / total blocks (it removes exactly the count asked for). null when the params
 * say nothing usable (then the Runs table falls back to runRatio).
 */
export function targetRatio(run: RunRecord): number | null {
  if (run.methodKind === 'width') return typeof run.params.ratio === 'number' ? run.params.ratio : null;
  if (run.methodKind === 'blocks') return run.layersBefore > 0 ? run.removedBlocks.length / run.layersBefore : null;
  const pattern = run.params.pattern;
  const nm = typeof pattern === 'string' ? /^(\d+):(\d+)$/.exec(pattern) : null;
  if (nm && Number(nm[2]) > 0) return Number(nm[1]) / Number(nm[2]);
  const sparsity = run.params.sparsity;
  return typeof sparsity === 'number' && Number.isFinite(sparsity) ? sparsity : null;
}

/**
 * The sparsity the run actually reached, 0..1, measured on the model (the target is only what was asked:
 * Wanda asked for 0.7 may land on 0.690). Sparsity methods: `overallSparsity`, zeros / weights over the
 * block linear layers. Block methods: the removed share of the dense model's block-linear parameters,
 * counting zeros in the kept blocks too: 1 − (1 − removed / total blocks) · (1 − overallSparsity); the blocks
 * of one model have the same linear shapes, so removed / total blocks is that parameter share (a pure
 * block removal gives removed / total). null when the record lacks `overallSparsity` (shown as "—").
 */
export function realisedSparsity(run: RunRecord): number | null {
  const overall = (run as Partial<RunRecord>).overallSparsity;
  if (run.methodKind === 'width') return widthRemoved(run);
  if (typeof overall !== 'number' || !Number.isFinite(overall)) return null;
  if (run.methodKind !== 'blocks') return overall;
  if (!(run.layersBefore > 0)) return null;
  const removed = run.removedBlocks.length / run.layersBefore;
  return overall === 0 ? removed : 1 - (1 - removed) * (1 - overall);
}

/** Width (hidden-channel) runs: the share of the model's parameters removed, or null without the counts. */
function widthRemoved(run: RunRecord): number | null {
  return run.parametersBefore > 0 ? 1 - run.parametersAfter / run.parametersBefore : null;
}

/** Perplexity after − before, or null when the run did not evaluate. */
export function pplDelta(run: RunRecord): number | null {
  return run.pplBefore !== null && run.pplAfter !== null ? run.pplAfter - run.pplBefore : null;
}

/** "blocks=1,3" / "sparsity=0.5, pattern=unstructured": the params in one short line. */
export function paramsText(params: Record<string, ParamValue>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(', ');
}
