// Lab.finetune's job: split the text 3:1 (train / held out), perplexity of the held-out quarter before,
// AdamW steps (runtime/trainer.ts) over windows of the training part, perplexity after on an engine of
// the fine-tuned spec. LoRA adapters (masked on sparse weights, merged at the end) or full fine-tuning of
// every block weight. Cancel after a step keeps the weights of the last finished step.

import { LabError, throwIfCancelled } from '../errors';
import { evaluatePerplexity } from '../evaluation/perplexity';
import { BLOCK_WEIGHT_NAME, blockLinearNames, elementCount, embeddingWeightNames, type ModelSpec } from '../model/model-spec';
import { editWeights } from '../pruning/apply-plan';
import { createEngine } from '../runtime/engine';
import { createTrainer } from '../runtime/trainer';
import type { BackendInfo, FinetuneProgress, FinetuneRequest, FinetuneResult, FinetuneStep, JobOptions, PerplexityResult } from './lab-api';
import { partName, tokensOfPart } from '../evaluation/text-parts';

export interface FinetuneJobContext {
  spec: ModelSpec;
  which: 'pruned' | 'loaded';
  backend: BackendInfo;
  text: { name: string; ids: number[] };
  /** The request with its defaults, validated (finetuneSettings; the lab's memory check reads it first). */
  settings: FinetuneSettings;
}

export type FinetuneSettings = ReturnType<typeof finetuneSettings>;

/** Values of every block weight (full fine-tuning's trainable set). */
export function blockParameterCount(spec: ModelSpec): number {
  let n = 0;
  for (const [name, w] of spec.weights) if (BLOCK_WEIGHT_NAME.test(name)) n += w.shape.reduce((a, b) => a * b, 1);
  return n;
}

/** Values trained by a run with these settings: adapters (LoRA) or block weights, plus the embeddings when asked. */
export function trainedParameterCount(spec: ModelSpec, s: Pick<FinetuneSettings, 'lora' | 'trainEmbeddings'>): number {
  const embeddings = s.trainEmbeddings ? embeddingWeightNames(spec).reduce((n, name) => n + elementCount(spec.weights.get(name)!), 0) : 0;
  return (s.lora ? loraParameterCount(spec, s.lora.rank) : blockParameterCount(spec)) + embeddings;
}

/** Values of rank-r adapters on every block linear: r × (in + out) each. */
export function loraParameterCount(spec: ModelSpec, rank: number): number {
  let n = 0;
  spec.layers.forEach((_, i) => {
    for (const name of blockLinearNames(spec, i)) {
      const [out, inp] = spec.weights.get(name)!.shape;
      n += rank * (out + inp);
    }
  });
  return n;
}

/** The request with its defaults, validated. */
export function finetuneSettings(spec: ModelSpec, request: FinetuneRequest) {
  const lora = request.lora === undefined ? { rank: 8, alpha: 16 } : request.lora;
  const s = {
    steps: request.steps,
    batch: request.batch ?? 8,
    seqLen: Math.min(request.seqLen ?? 128, spec.config.maxPositionEmbeddings),
    microBatches: request.microBatches ?? 1,
    lr: request.lr ?? (lora ? 2e-3 : 2e-4),
    warmupSteps: request.warmupSteps ?? Math.floor(request.steps / 10),
    evalWindows: request.evalWindows ?? 16,
    seed: request.seed ?? 0,
    lora,
    trainEmbeddings: request.trainEmbeddings ?? false,
  };
  for (const key of ['steps', 'batch', 'microBatches'] as const)
    if (!Number.isInteger(s[key]) || s[key] < 1) throw new LabError('bad-argument', `finetune: ${key} must be a positive integer, got ${s[key]}`);
  if (!Number.isInteger(s.seqLen) || s.seqLen < 2) throw new LabError('bad-argument', `finetune: seqLen must be an integer ≥ 2, got ${s.seqLen}`);
  if (!(s.lr > 0 && s.lr < 1)) throw new LabError('bad-argument', `finetune: lr must be in (0, 1), got ${s.lr}`);
  if (!Number.isInteger(s.evalWindows) || s.evalWindows < 0) throw new LabError('bad-argument', `finetune: evalWindows must be an integer ≥ 0, got ${s.evalWindows}`);
  if (typeof s.trainEmbeddings !== 'boolean') throw new LabError('bad-argument', `finetune: trainEmbeddings must be true or false, got ${String(s.trainEmbeddings)}`);
  if (lora && (!Number.isInteger(lora.rank) || lora.rank < 1 || !(lora.alpha > 0)))
    throw new LabError('bad-argument', `finetune: LoRA rank must be a positive integer and alpha positive, got rank ${lora.rank}, alpha ${lora.alpha}`);
  return s;
}

export async function runFinetuneJob(ctx: FinetuneJobContext, options: JobOptions<FinetuneProgress> = {}): Promise<{ result: FinetuneResult; spec: ModelSpec }> {
  const started = performance.now();
  const { spec, backend, settings: s } = ctx;
  const train = tokensOfPart(ctx.text.ids, 'head');
  const heldOut = tokensOfPart(ctx.text.ids, 'tail');
  if (train.length < s.seqLen + 1) throw new LabError('bad-argument', `finetune: ${ctx.text.name} has ${train.length} training tokens, fewer than one window of ${s.seqLen}`);
  const evalLen = Math.min(256, s.seqLen * 2, spec.config.maxPositionEmbeddings);
  const heldOutWindows = Math.min(s.evalWindows, Math.floor(heldOut.length / evalLen));
  const steps = s.steps;
  const progress = (phase: FinetuneProgress['phase'], fraction: number, message: string, step?: FinetuneStep) =>
    options.onProgress?.({ phase, fraction: Math.min(1, fraction), message, step });

  const evaluate = async (model: ModelSpec, label: string): Promise<PerplexityResult | null> => {
    if (heldOutWindows === 0) return null;
    const engine = await createEngine(model, { backend: backend.backend, precision: backend.precision });
    try {
      return await evaluatePerplexity(engine, heldOut, { seqLen: evalLen, maxWindows: heldOutWindows, textName: partName(ctx.text.name, 'tail'), signal: options.signal, onProgress: (p) => progress(label === 'before' ? 'evaluating-before' : 'evaluating-after', (label === 'before' ? 0 : 0.9) + 0.05 * (p.windowsDone / p.windows), `perplexity ${label}: window ${p.windowsDone}/${p.windows}`) });
    } finally {
      await engine.dispose();
    }
  };
  const pplBefore = await evaluate(spec, 'before');

  const linears = new Set(spec.layers.flatMap((_, i) => blockLinearNames(spec, i)));
  const embeddings = new Set(s.trainEmbeddings ? embeddingWeightNames(spec) : []);
  const trainer = await createTrainer(spec, {
    backend: backend.backend,
    trainable: (w) => embeddings.has(w) || (!s.lora && BLOCK_WEIGHT_NAME.test(w)),
    lora: s.lora ? { rank: s.lora.rank, alpha: s.lora.alpha, targets: (w) => linears.has(w) } : undefined,
    batch: s.batch,
    seqLen: s.seqLen,
    microBatches: s.microBatches,
    lr: s.lr,
    warmupSteps: s.warmupSteps,
    totalSteps: steps,
    schedule: 'cosine',
    seed: s.seed,
  });
  const trace: FinetuneStep[] = [];
  let tuned: ModelSpec;
  try {
    const perStep = s.batch * s.microBatches;
    const starts = Math.max(1, train.length - s.seqLen);
    let stoppedEarly = false;
    for (let step = 0; step < steps; step++) {
      if (options.signal?.aborted) {
        if (step === 0) throwIfCancelled(options.signal);
        stoppedEarly = true;
        break;
      }
      // Windows at pseudo-random offsets (deterministic per seed and step).
      const windows = Array.from({ length: perStep }, (_, r) => {
        const at = hashOffset(s.seed, step * perStep + r, starts);
        return Int32Array.from(train.slice(at, at + s.seqLen));
      });
      const r = await trainer.step(windows);
      const entry: FinetuneStep = { step: r.step, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokensPerS: r.tokens / (r.stepMs / 1000) };
      trace.push(entry);
      progress('training', 0.05 + 0.85 * (r.step / steps), `step ${r.step}/${steps}: loss ${r.loss.toFixed(4)}`, entry);
    }
    tuned = editWeights(spec, {}, Object.fromEntries(await trainer.weights()));
    const pplAfter = stoppedEarly ? null : await evaluate(tuned, 'after');
    const trainedParameters = trainer.params.reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    progress('evaluating-after', 1, 'done');
    return {
      spec: tuned,
      result: {
        which: ctx.which,
        mode: s.lora ? 'lora' : 'full',
        lora: s.lora ? { ...s.lora, masked: trainer.params.some((p) => p.lora?.target.masked) } : null,
        trainEmbeddings: s.trainEmbeddings,
        trainedParameters,
        steps: trace.length,
        stepsRequested: steps,
        stoppedEarly,
        batch: s.batch,
        seqLen: s.seqLen,
        microBatches: s.microBatches,
        trace,
        pplBefore,
        pplAfter,
        textName: ctx.text.name,
        trainTokens: train.length,
        heldOutTokens: heldOut.length,
        elapsedMs: performance.now() - started,
        backend: backend.backend,
        tokensPerS: mean(trace.map((t) => t.tokensPerS)),
      },
    };
  } finally {
    await trainer.dispose();
  }
}

/** A deterministic offset in [0, range) for (seed, index). */
function hashOffset(seed: number, index: number, range: number): number {
  let h = (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) % range;
}
