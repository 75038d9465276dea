// Lab.prune's job: calibration windows → method plan (via a CalibrationRunner on the lab's backend)
// → applyPlan → sparsity → optional perplexity and speed, dense vs pruned, in the same run.
// Owns the runner and the pruned Engine it creates and frees both; the pruned spec is returned.

import { LabError, throwIfCancelled } from '../errors';
import type { LoadedModel } from '../model/loaded-model';
import { parameterCount, type ModelSpec } from '../model/model-spec';
import { applyPlan } from '../pruning/apply-plan';
import { calibrationWindows } from '../pruning/calibration-data';
import { getMethod } from '../pruning/registry';
import { measureSparsity } from '../pruning/sparsity';
import { createCalibrationRunner } from '../runtime/calibration-runner';
import { createEngine, type Engine } from '../runtime/engine';
import { createTrainer } from '../runtime/trainer';
import { adapterLabel } from '../runtime/ort';
import { evaluatePerplexity } from '../evaluation/perplexity';
import { choiceSummary, evaluateMultipleChoice, type ChoiceItem } from '../evaluation/multiple-choice';
import { runBenchmark, stat } from '../evaluation/benchmark';
import { checkExportable } from '../export/exportable';
import type { TextTokenizer } from '../tokenizer/text-tokenizer';
import { DEFAULT_NEW_TOKENS, generateText } from './generate-text';
import type { AccuracySummary, BackendInfo, BenchRequest, BenchResult, ChoiceDataSource, JobOptions, PerplexityResult, PruneProgress, PruneRequest, PruneResult, TextSource } from './lab-api';
import { partName, tokensForWindows, tokensOfPart } from '../evaluation/text-parts';
import type { PruningPlan } from '../pruning/plan';

export interface PruneJobContext {
  loaded: LoadedModel;
  /** The loaded model's engine (dense side of evaluation and speed). */
  engine: Engine;
  backend: BackendInfo;
  resolveText(source: TextSource): Promise<{ name: string; text: string }>;
  /** The name a text source reports (without loading it). */
  textName(source: TextSource): string;
  /** Token ids of a text, cached by the lab, tokenized in bounded pieces (cancellable); with maxTokens only that many (complete: false). */
  encodeText(text: string, options?: { maxTokens?: number; signal?: AbortSignal }): Promise<{ ids: Int32Array; complete: boolean }>;
  tokenizer: TextTokenizer;
  /** Dense perplexity results by request key, so a re-run does not recompute them. */
  densePpl: Map<string, PerplexityResult>;
  /** Multiple-choice items of a data source, with the name it reports. */
  choiceItems(source: ChoiceDataSource): Promise<{ name: string; items: ChoiceItem[] }>;
  /** Dense accuracy results by request key. */
  denseAccuracy: Map<string, AccuracySummary>;
}

type Phase = PruneProgress['phase'];

export const DEFAULT_CALIBRATION = { windows: 64, seqLen: 256, sampling: 'first' as const, seed: 0 };

/** Splits [0, 1] over the phases that run, by rough cost weights. */
function progressMap(request: PruneRequest) {
  const weights: [Phase, number][] = [['calibration-data', 0.02], ['planning', 1], ['applying', 0.03]];
  if (request.evaluation) weights.push(['evaluating-dense', 0.15], ['evaluating-pruned', 0.15]);
  if (request.accuracy) weights.push(['accuracy-dense', 0.15], ['accuracy-pruned', 0.15]);
  if (request.speed) weights.push(['speed', 0.3]);
  if (request.generation) weights.push(['generating', 0.1]);
  const total = weights.reduce((s, [, w]) => s + w, 0);
  const start = new Map<Phase, [number, number]>();
  let at = 0;
  for (const [phase, w] of weights) {
    start.set(phase, [at / total, w / total]);
    at += w;
  }
  return (phase: Phase, within: number) => {
    const [from, width] = start.get(phase) ?? [0, 0];
    return Math.min(1, from + width * Math.max(0, Math.min(1, within)));
  };
}

export async function runPruneJob(ctx: PruneJobContext, request: PruneRequest, options: JobOptions<PruneProgress> = {}): Promise<{ result: PruneResult; spec: ModelSpec; plan: PruningPlan }> {
  const started = performance.now();
  const { signal, onProgress } = options;
  const method = getMethod(request.methodId);
  const spec = ctx.loaded.spec;
  const at = progressMap(request);
  const report = (phase: Phase, within: number, message: string, trace?: PruneProgress['trace']) =>
    onProgress?.({ phase, fraction: at(phase, within), message, ...(trace ? { trace } : {}) });

  throwIfCancelled(signal);
  report('calibration-data', 0, 'tokenizing the calibration text');
  const calib = request.calibration;
  const seqLen = Math.min(calib.seqLen ?? DEFAULT_CALIBRATION.seqLen, spec.config.maxPositionEmbeddings);
  const sampling = calib.sampling ?? DEFAULT_CALIBRATION.sampling;
  const seed = calib.seed ?? DEFAULT_CALIBRATION.seed;
  if (!Number.isInteger(seed)) throw new LabError('bad-argument', `calibration: seed must be an integer, got ${seed}`);
  // Data-free methods (magnitude, drop-blocks) neither need nor tokenize the calibration text.
  let windows: Int32Array[] = [];
  let textName = ctx.textName(calib.text);
  if (method.needsCalibration) {
    const calibText = await ctx.resolveText(calib.text);
    textName = partName(calibText.name, calib.part);
    const tokens = tokensOfPart((await ctx.encodeText(calibText.text, { signal })).ids, calib.part);
    let count = calib.windows ?? DEFAULT_CALIBRATION.windows;
    if (sampling === 'first' && Number.isInteger(count) && count >= 1) {
      const available = Math.floor(tokens.length / seqLen);
      if (available === 0)
        throw new LabError('bad-text', `${textName}: ${tokens.length} tokens is shorter than one calibration window of ${seqLen} tokens`, { file: textName });
      count = Math.min(count, available); // capped at what the text allows
    }
    windows = calibrationWindows(tokens, { count, seqLen, sampling, seed, textName });
  }
  report('calibration-data', 1, `${windows.length} calibration windows of ${seqLen} tokens`);

  const runner = createCalibrationRunner({ backend: ctx.backend.backend });
  let pruned = null as Engine | null; // made on first use (evaluation, speed or generation)
  try {
    throwIfCancelled(signal);
    // One copy of the weights in the runtime at a time: the dense sessions go while calibration runs.
    await ctx.engine.releaseSessions();
    const plan = await method.run(
      {
        spec,
        runner,
        windows,
        signal,
        onProgress: (p) => report('planning', p.fraction, p.message, p.trace),
        createTrainer: (s, o) => createTrainer(s, { ...o, backend: ctx.backend.backend }),
      },
      request.params ?? {},
    );
    throwIfCancelled(signal);
    report('applying', 0, 'applying the plan');
    const prunedSpec = applyPlan(spec, plan);
    const sparsity = measureSparsity(prunedSpec);
    report('applying', 1, `${spec.layers.length} → ${prunedSpec.layers.length} blocks, sparsity ${(sparsity.overall * 100).toFixed(2)}%`);
    await runner.dispose(); // frees the calibration sessions before evaluation sessions are made

    let pplBefore: PerplexityResult | null = null;
    let pplAfter: PerplexityResult | null = null;
    let speedBefore: BenchResult | null = null;
    let speedAfter: BenchResult | null = null;
    const prunedEngine = async () => (pruned ??= await createEngine(prunedSpec, { backend: ctx.backend.backend, precision: ctx.backend.precision }));
    if (request.evaluation) {
      const ev = request.evaluation;
      const resolved = await ctx.resolveText(ev.text);
      const name = partName(resolved.name, ev.part);
      const text = resolved.text;
      const evalSeqLen = Math.min(ev.seqLen ?? 256, spec.config.maxPositionEmbeddings);
      // With maxWindows only the tokens those windows need are tokenized (as Lab.evaluatePerplexity does).
      const { ids } = await tokensForWindows((maxTokens) => ctx.encodeText(text, { maxTokens, signal }), ev.part ?? 'all', evalSeqLen, ev.maxWindows);
      const key = `${evalSeqLen}|${ev.maxWindows ?? 'all'}|${name}|${text.length}\n${text}`;
      const evalOptions = (phase: Phase) => ({
        seqLen: evalSeqLen,
        maxWindows: ev.maxWindows,
        textName: name,
        signal,
        onProgress: (p: { windowsDone: number; windows: number; runningPpl: number }) =>
          report(phase, p.windowsDone / p.windows, `${phase === 'evaluating-dense' ? 'dense' : 'pruned'} ppl, window ${p.windowsDone}/${p.windows}: ${p.runningPpl.toFixed(4)}`),
      });
      pplBefore = ctx.densePpl.get(key) ?? null;
      if (!pplBefore) {
        pplBefore = await evaluatePerplexity(ctx.engine, ids, evalOptions('evaluating-dense'));
        ctx.densePpl.set(key, pplBefore);
      }
      report('evaluating-dense', 1, `dense ppl ${pplBefore.ppl.toFixed(4)}`);
      await ctx.engine.releaseSessions(); // dense first, then its sessions go before the pruned ones are made
      pplAfter = await evaluatePerplexity(await prunedEngine(), ids, evalOptions('evaluating-pruned'));
      report('evaluating-pruned', 1, `pruned ppl ${pplAfter.ppl.toFixed(4)}`);
    }
    let accuracyBefore: AccuracySummary | null = null;
    let accuracyAfter: AccuracySummary | null = null;
    if (request.accuracy) {
      const { name, items } = await ctx.choiceItems(request.accuracy.data);
      const maxItems = request.accuracy.maxItems;
      const score = async (engine: Engine, phase: 'accuracy-dense' | 'accuracy-pruned'): Promise<AccuracySummary> => {
        const r = await evaluateMultipleChoice(engine, (text) => ctx.tokenizer.encode(text), items, {
          maxTokens: spec.config.maxPositionEmbeddings,
          maxItems,
          dataName: name,
          signal,
          onProgress: (p) => report(phase, p.itemsDone / p.items, `${phase === 'accuracy-dense' ? 'dense' : 'pruned'} accuracy, item ${p.itemsDone}/${p.items}: acc_norm ${p.accNorm.toFixed(3)}`),
        });
        return choiceSummary(r);
      };
      const key = `${maxItems ?? 'all'}|${name}|${items.length}\n${JSON.stringify(items.slice(0, maxItems ?? items.length))}`;
      accuracyBefore = ctx.denseAccuracy.get(key) ?? null;
      if (!accuracyBefore) {
        accuracyBefore = await score(ctx.engine, 'accuracy-dense');
        ctx.denseAccuracy.set(key, accuracyBefore);
      }
      report('accuracy-dense', 1, `dense acc_norm ${accuracyBefore.accNorm.toFixed(3)}`);
      await ctx.engine.releaseSessions();
      accuracyAfter = await score(await prunedEngine(), 'accuracy-pruned');
      report('accuracy-pruned', 1, `pruned acc_norm ${accuracyAfter.accNorm.toFixed(3)}`);
    }
    if (request.speed) {
      [speedBefore, speedAfter] = await alternatingSpeed(ctx, ctx.engine, await prunedEngine(), request.speed, signal, (within, message) => report('speed', within, message));
    }
    let generation: PruneResult['generation'] = null;
    if (request.generation) {
      const ask = request.generation;
      const side = async (engine: Engine, name: 'dense' | 'pruned', from: number) =>
        generateText(engine, ctx.tokenizer, spec.config, ask, {
          signal,
          onProgress: (p) => report('generating', from + (0.5 * p.tokens) / (ask.maxNewTokens ?? DEFAULT_NEW_TOKENS), `${name} text, ${p.tokens} tokens`),
        });
      const dense = await side(ctx.engine, 'dense', 0);
      const prunedText = await side(await prunedEngine(), 'pruned', 0.5);
      generation = { prompt: ask.prompt, dense, pruned: prunedText };
      report('generating', 1, 'text generated, dense and pruned');
    }
    const result: PruneResult = {
      methodId: method.id,
      params: plan.params,
      overallSparsity: sparsity.overall,
      layerSparsity: sparsity.perLayer,
      blockSparsity: sparsity.perBlock,
      removedBlocks: [...plan.removeBlocks].sort((a, b) => a - b),
      trace: plan.trace,
      stats: plan.stats,
      parametersBefore: parameterCount(spec),
      parametersAfter: parameterCount(prunedSpec),
      layersBefore: spec.layers.length,
      layersAfter: prunedSpec.layers.length,
      calibration: { windows: windows.length, seqLen, sampling, seed, textName },
      pplBefore,
      pplAfter,
      speedBefore,
      speedAfter,
      speedNote: speedNote(method.kind, spec.layers.length, prunedSpec.layers.length),
      elapsedMs: performance.now() - started,
      exportable: checkExportable(prunedSpec),
      generation,
      accuracyBefore,
      accuracyAfter,
    };
    return { result, spec: prunedSpec, plan };
  } finally {
    await runner.dispose();
    await pruned?.dispose();
  }
}

export function speedNote(kind: 'blocks' | 'sparsity' | 'width', layersBefore: number, layersAfter: number): string {
  if (kind === 'width')
    return 'Narrower matrices (hidden channels, or attention heads and FFN neurons removed inside blocks): fewer parameters and a real speed-up, roughly in proportion to the work removed.';
  if (kind === 'sparsity')
    return 'Zeroed weights give no speed-up here: the kernels are dense, so the pruned model does the same work as the dense one (expect ≈1.0×; N:M needs sparse hardware kernels).';
  const ideal = layersBefore / layersAfter;
  return `${layersBefore} → ${layersAfter} blocks: ideal speed-up ${ideal.toFixed(2)}× (blocks before / after); embedding and head cost is unchanged, so measured figures fall a little short of it.`;
}

/**
 * Dense and pruned alternate run by run (dense, pruned, dense, …), each warmed up first, so machine
 * load drifts affect both sides alike. Stats are over the per-run figures of each side.
 */
async function alternatingSpeed(ctx: PruneJobContext, dense: Engine, pruned: Engine, request: BenchRequest, signal: AbortSignal | undefined, report: (within: number, message: string) => void): Promise<[BenchResult, BenchResult]> {
  const runs = request.runs ?? 5;
  const { config } = ctx.loaded.spec;
  const adapter = adapterLabel(ctx.backend);
  const options = { vocabSize: config.vocabSize, contextLength: config.maxPositionEmbeddings, backend: ctx.backend.backend, adapter, isSoftwareAdapter: ctx.backend.isSoftwareAdapter, signal };
  const sides = [dense, pruned].map((engine) => ({ engine, results: [] as BenchResult[] }));
  for (let r = 0; r < runs; r++) {
    for (const [k, side] of sides.entries()) {
      throwIfCancelled(signal);
      report((2 * r + k) / (2 * runs), `speed run ${r + 1}/${runs}, ${k === 0 ? 'dense' : 'pruned'}`);
      side.results.push(await runBenchmark(side.engine, { ...request, runs: 1, warmupRuns: r === 0 ? (request.warmupRuns ?? 1) : 0 }, options));
    }
  }
  report(1, 'speed measured');
  return sides.map(({ results }) => {
    const pick = (f: (b: BenchResult) => number) => stat(results.map(f));
    return {
      ...results[0],
      runs,
      prefillMs: pick((b) => b.prefillMs.median),
      prefillTokensPerS: pick((b) => b.prefillTokensPerS.median),
      decodeMsPerToken: pick((b) => b.decodeMsPerToken.median),
      decodeTokensPerS: pick((b) => b.decodeTokensPerS.median),
    };
  }) as [BenchResult, BenchResult];
}
