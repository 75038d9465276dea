// Lab.lawExperiment's job (methods.md §7): for one structured method, prune the loaded model at every
// ratio of a grid, recover each pruned model with every fine-tuning budget of a second grid, and measure
// each physically smaller model: test loss (mean NLL on the same windows), zero-shot accuracy and speed
// (dense and pruned alternating, as prune runs do). Then fit the compression law to the points
// (evaluation/compression-law). A stop after two or more points returns them, fitted.

import { LabError, throwIfCancelled } from '../errors';
import { compressionLawReport, criticalRatio, type LawPoint } from '../evaluation/compression-law';
import { choiceSummary, evaluateMultipleChoice, type ChoiceItem } from '../evaluation/multiple-choice';
import { evaluatePerplexity } from '../evaluation/perplexity';
import type { ModelSpec } from '../model/model-spec';
import { parameterCount } from '../model/model-spec';
import { createEngine } from '../runtime/engine';
import type { FinetuneSettings } from './finetune-job';
import type { AccuracySummary, BackendInfo, JobOptions, LawPointResult, LawProgress, LawRequest, LawResult, PruneRequest, PruneResult } from './lab-api';

export interface LawJobContext {
  spec: ModelSpec;
  backend: BackendInfo;
  /** A prune run of the loaded model (no model card, no Runs entry); its result and pruned spec. */
  prune(request: PruneRequest, options: { signal?: AbortSignal }): Promise<{ result: PruneResult; spec: ModelSpec }>;
  /** Fine-tunes `spec` with these settings on the training ids; the tuned spec. */
  finetune(spec: ModelSpec, settings: FinetuneSettings, signal?: AbortSignal): Promise<ModelSpec>;
  /** Settings of a recovery run of `steps` steps (LoRA, the lab's defaults otherwise). */
  recoverySettings(spec: ModelSpec, steps: number): FinetuneSettings;
  evalIds: number[];
  evalName: string;
  choice: { name: string; items: ChoiceItem[] } | null;
  encode(text: string): number[];
}

/** The method's parameters at ratio r: sparsity / width ratio, or round(r · layers) blocks. */
export function lawParams(ratioParam: { name: string; unit: 'fraction' | 'blocks' }, ratio: number, numLayers: number): Record<string, number> {
  return { [ratioParam.name]: ratioParam.unit === 'blocks' ? Math.round(ratio * numLayers) : ratio };
}

export async function runLawJob(
  ctx: LawJobContext,
  request: LawRequest,
  ratioParam: { name: string; unit: 'fraction' | 'blocks' },
  options: JobOptions<LawProgress> = {},
): Promise<LawResult> {
  const started = performance.now();
  const budgets = request.rftTokens ?? [0];
  const tokensPerStep = (request.recovery?.batch ?? 8) * (request.recovery?.seqLen ?? 128);
  const grid = request.ratios.flatMap((ratio) => budgets.map((rftTokens) => ({ ratio, rftTokens })));
  const points: LawPointResult[] = [];
  const seqLen = Math.min(request.seqLen ?? 256, ctx.spec.config.maxPositionEmbeddings);
  const maxItems = request.accuracy?.maxItems;
  const progress = (message: string, done: number, point?: LawPointResult) =>
    options.onProgress?.({ pointsDone: done, points: grid.length, fraction: done / grid.length, message, ...(point ? { point } : {}) });

  const measure = async (spec: ModelSpec, signal?: AbortSignal) => {
    const engine = await createEngine(spec, { backend: ctx.backend.backend, precision: ctx.backend.precision });
    try {
      const ppl = await evaluatePerplexity(engine, ctx.evalIds, { seqLen, maxWindows: request.maxWindows, textName: ctx.evalName, signal });
      const accuracy: AccuracySummary | null = ctx.choice
        ? choiceSummary(await evaluateMultipleChoice(engine, ctx.encode, ctx.choice.items, { maxTokens: spec.config.maxPositionEmbeddings, maxItems, dataName: ctx.choice.name, signal }))
        : null;
      return { loss: ppl.nll, ppl: ppl.ppl, accuracy };
    } finally {
      await engine.dispose();
    }
  };

  let stoppedEarly = false;
  const dense = await measure(ctx.spec, options.signal);
  const parametersBefore = parameterCount(ctx.spec);
  try {
    for (const ratio of request.ratios) {
      throwIfCancelled(options.signal);
      const pointStarted = performance.now();
      let spec = ctx.spec;
      let pruneResult: PruneResult | null = null;
      if (ratio > 0) {
        progress(`ratio ${ratio}: pruning with ${request.methodId}`, points.length);
        const pruneRequest: PruneRequest = {
          methodId: request.methodId,
          params: { ...(request.params ?? {}), ...lawParams(ratioParam, ratio, ctx.spec.layers.length) },
          calibration: request.calibration,
          ...(request.speed ? { speed: request.speed } : {}),
        };
        const pruned = await ctx.prune(pruneRequest, { signal: options.signal });
        [spec, pruneResult] = [pruned.spec, pruned.result];
      }
      for (const rftTokens of budgets) {
        throwIfCancelled(options.signal);
        let measured = spec;
        const steps = rftTokens > 0 ? Math.max(1, Math.round(rftTokens / tokensPerStep)) : 0;
        if (steps > 0) {
          progress(`ratio ${ratio}: recovery fine-tuning, ${steps} steps (${rftTokens} tokens)`, points.length);
          measured = await ctx.finetune(spec, ctx.recoverySettings(spec, steps), options.signal);
        }
        progress(`ratio ${ratio}, ${rftTokens} recovery tokens: measuring`, points.length);
        const m = ratio === 0 && steps === 0 ? dense : await measure(measured, options.signal);
        const parametersAfter = parameterCount(measured);
        const point: LawPointResult = {
          ratio,
          compression: 1 - parametersAfter / parametersBefore,
          rftTokens: steps * tokensPerStep,
          recoverySteps: steps,
          loss: m.loss,
          ppl: m.ppl,
          accuracy: m.accuracy,
          parametersAfter,
          removedBlocks: pruneResult?.removedBlocks ?? [],
          decodeTokensPerSDense: pruneResult?.speedBefore?.decodeTokensPerS.median ?? null,
          decodeTokensPerS: pruneResult?.speedAfter?.decodeTokensPerS.median ?? null,
          prefillMsDense: pruneResult?.speedBefore?.prefillMs.median ?? null,
          prefillMs: pruneResult?.speedAfter?.prefillMs.median ?? null,
          elapsedMs: performance.now() - pointStarted,
        };
        points.push(point);
        progress(`ratio ${ratio}, ${point.rftTokens} recovery tokens: loss ${point.loss.toFixed(4)}`, points.length, point);
      }
    }
  } catch (error) {
    // A stop keeps the points measured so far when there are enough to fit.
    if (!(error instanceof LabError && error.code === 'cancelled') || points.length < 2) throw error;
    stoppedEarly = true;
  }
  return lawResult(request, dense, points, stoppedEarly, performance.now() - started, ctx.backend.backend);
}

function lawResult(
  request: LawRequest,
  dense: { loss: number; ppl: number; accuracy: AccuracySummary | null },
  points: LawPointResult[],
  stoppedEarly: boolean,
  elapsedMs: number,
  backend: string,
): LawResult {
  // r is the realised compression (parameters removed), D the recovery tokens actually trained.
  const asLaw = (value: (p: LawPointResult) => number, base: number): LawPoint[] => points.map((p) => ({ ratio: p.compression, rftTokens: p.rftTokens, value: value(p), base }));
  const loss = points.length >= 2 ? compressionLawReport(asLaw((p) => p.loss, dense.loss)) : null;
  const withAcc = dense.accuracy && points.every((p) => p.accuracy && p.accuracy.accNorm > 0);
  const accuracy = withAcc && points.length >= 2 ? compressionLawReport(asLaw((p) => p.accuracy!.accNorm, dense.accuracy!.accNorm)) : null;
  const threshold = request.lossThreshold ?? null;
  const critical =
    loss && threshold !== null
      ? [...new Set(points.map((p) => p.rftTokens))].map((rftTokens) => ({ rftTokens, compression: criticalRatio(loss.noIntercept, { threshold, base: dense.loss, rftTokens }) }))
      : null;
  return { methodId: request.methodId, dense, points, loss, accuracy, lossThreshold: threshold, critical, stoppedEarly, elapsedMs, backend };
}
