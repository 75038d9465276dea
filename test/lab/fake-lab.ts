// A small in-memory LabApi for testing the proxy and the store: it reports progress per window,
// honours AbortSignal between windows and fails like the real lab (LabError with a code).

import { LabError, throwIfCancelled } from '../../src/errors';
import { compressionLawReport } from '../../src/evaluation/compression-law';
import type {
  LawPointResult,
  LawProgress,
  LawRequest,
  LawResult,
  AccuracyProgress,
  AccuracyRequest,
  AccuracyResult,
  BackendInfo,
  BenchResult,
  GpuBenchProgress,
  GpuBenchRequest,
  GpuBenchResult,
  ExportedFile,
  ExportRequest,
  GenerateResult,
  JobOptions,
  LabApi,
  LoadProgress,
  MethodInfo,
  ModelSummary,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
  PruneProgress,
  FinetuneProgress,
  FinetuneRequest,
  FinetuneResult,
  PruneRequest,
  PruneResult,
} from '../../src/lab/lab-api';
import type { TraceEntry } from '../../src/pruning/plan';
import type { ModelFileRef } from '../../src/model/loaded-model';

export const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

/** 64 hex chars that differ for different inputs (the fake's stand-in for a SHA-256 of weights). */
function fakeWeightsHash(text: string): string {
  let out = '';
  for (let round = 0; round < 8; round++) {
    let hash = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    out += hash.toString(16).padStart(8, '0');
  }
  return out;
}

export function summaryFor(name: string, fileBytes: number): ModelSummary {
  return {
    name, family: 'llama', modelType: 'llama', layout: 'onnx-optimum', weightsDtype: 'float32', parameters: 1000,
    fileBytes, fp32Bytes: 4000, vocabSize: 512, hiddenSize: 64, maxPositionEmbeddings: 512, numLayers: 5,
    numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 172, tieWordEmbeddings: true, layers: [],
    importCheck: null, files: [], loadMs: 1, weightsHash: fakeWeightsHash(`${name}|${fileBytes}`),
    memory: { weightsBytes: 4000, precision: 'fp32', sharedOnDevice: false, limitBytes: 4 * 1024 ** 3, limitSource: 'the wasm32 heap (4 GiB)' },
  };
}

export class FakeLab implements LabApi {
  model: ModelSummary | null = null;
  /** Per-window NLLs the fake "evaluates". */
  windowNlls = [1, 2, 3, 4, 5, 6];
  windowDelayMs = 2;
  receivedFiles: ModelFileRef[] = [];

  async backendInfo(): Promise<BackendInfo> {
    return { backend: 'wasm', adapter: null, isSoftwareAdapter: false, fallbackReason: 'no WebGPU in tests', threads: 1, precision: 'fp32', precisionReason: 'onnxruntime-web WASM has no float16 matrix kernels' };
  }
  async modelSummary() {
    return this.model;
  }
  precisionAsked: string[] = [];
  async setPrecision(request: 'auto' | 'fp32' | 'fp16'): Promise<BackendInfo> {
    this.precisionAsked.push(request);
    return { ...(await this.backendInfo()), precision: 'fp32', precisionReason: `asked ${request}; WASM has no float16 matrix kernels` };
  }
  async loadModel(files: ModelFileRef[], options: JobOptions<LoadProgress> = {}): Promise<ModelSummary> {
    this.receivedFiles = files;
    options.onProgress?.({ stage: 'read', message: 'reading', fraction: 0.5 });
    const bad = files.find((f) => f.path.endsWith('.onnx') && f.blob.size < 4);
    if (bad) throw new LabError('not-a-model', `${bad.path}: not an ONNX model`, { path: bad.path });
    let bytes = 0;
    for (const file of files) bytes += (await file.blob.arrayBuffer()).byteLength;
    this.model = summaryFor(files.map((f) => f.path).join(','), bytes);
    return this.model;
  }
  /** Points from loss = 2 · (1 + r)² · (1 + 1/(D + 1))^0.1 (D in millions of tokens), one per ratio × budget, with progress; a stop after 2 points keeps them. */
  async lawExperiment(request: LawRequest, options: JobOptions<LawProgress> = {}): Promise<LawResult> {
    if (!this.model) throw new LabError('no-model', 'No model loaded.');
    const budgets = request.rftTokens ?? [0];
    const grid = request.ratios.flatMap((ratio) => budgets.map((rftTokens) => ({ ratio, rftTokens })));
    const points: LawPointResult[] = [];
    let stoppedEarly = false;
    for (const { ratio, rftTokens } of grid) {
      await tick(this.windowDelayMs);
      if (options.signal?.aborted) {
        if (points.length < 2) throw new LabError('cancelled', 'Cancelled.');
        stoppedEarly = true;
        break;
      }
      const loss = 2 * (1 + ratio) ** 2 * (1 + 1 / (rftTokens / 1e6 + 1)) ** 0.1;
      const point: LawPointResult = {
        ratio, compression: ratio, rftTokens, recoverySteps: rftTokens / 1024, loss, ppl: Math.exp(loss), accuracy: null, parametersAfter: Math.round(1000 * (1 - ratio)),
        removedBlocks: [], decodeTokensPerSDense: 100, decodeTokensPerS: 100 / (1 - ratio), prefillMsDense: 10, prefillMs: 10 * (1 - ratio), elapsedMs: 1,
      };
      points.push(point);
      options.onProgress?.({ pointsDone: points.length, points: grid.length, fraction: points.length / grid.length, message: `point ${points.length}`, point });
    }
    const denseLoss = 2 * 2 ** 0.1;
    const report = compressionLawReport(points.map((p) => ({ ratio: p.compression, rftTokens: p.rftTokens, value: p.loss, base: denseLoss })));
    return { methodId: request.methodId, dense: { loss: denseLoss, ppl: Math.exp(denseLoss), accuracy: null }, points, loss: report, accuracy: null, lossThreshold: request.lossThreshold ?? null, critical: null, stoppedEarly, elapsedMs: 1, backend: 'wasm' };
  }

  /** Answers item k right when k is even (acc 0.5 over an even count), with progress per item. */
  async evaluateAccuracy(request: AccuracyRequest, options: JobOptions<AccuracyProgress> = {}): Promise<AccuracyResult> {
    if (!this.model) throw new LabError('no-model', 'No model loaded.');
    const items = request.maxItems ?? 10;
    const scores = Array.from({ length: items }, (_, k) => ({ label: 0, logLikelihoods: [-1, -2], endingBytes: [4, 4], predicted: k % 2, predictedNorm: k % 2 }));
    for (let k = 1; k <= items; k++) {
      await tick(this.windowDelayMs);
      throwIfCancelled(options.signal);
      const right = Math.ceil(k / 2);
      options.onProgress?.({ itemsDone: k, items, acc: right / k, accNorm: right / k });
    }
    const acc = Math.ceil(items / 2) / items;
    return { acc, accNorm: acc, accStderr: 0.1, accNormStderr: 0.1, items, itemsAvailable: 300, chance: 0.5, dataName: 'items.jsonl', elapsedMs: 1, scores, which: request.which ?? 'loaded', backend: 'wasm' };
  }

  async evaluatePerplexity(request: PerplexityRequest, options: JobOptions<PerplexityProgress> = {}): Promise<PerplexityResult> {
    if (!this.model) throw new LabError('no-model', 'No model loaded.');
    const seqLen = request.seqLen ?? 256;
    const windows = Math.min(request.maxWindows ?? this.windowNlls.length, this.windowNlls.length);
    let nllSum = 0;
    for (let w = 0; w < windows; w++) {
      await tick(this.windowDelayMs);
      throwIfCancelled(options.signal);
      nllSum += this.windowNlls[w] * (seqLen - 1);
      const tokensScored = (w + 1) * (seqLen - 1);
      options.onProgress?.({ windowsDone: w + 1, windows, tokensScored, runningNll: nllSum / tokensScored, runningPpl: Math.exp(nllSum / tokensScored) });
    }
    const tokensScored = windows * (seqLen - 1);
    return {
      ppl: Math.exp(nllSum / tokensScored), nll: nllSum / tokensScored, windows, tokensScored, seqLen,
      windowsAvailable: this.windowNlls.length, textTokens: this.windowNlls.length * seqLen, textName: 'fake',
      elapsedMs: 1, tokensScoredPerS: 1, windowNlls: this.windowNlls.slice(0, windows), backend: 'wasm',
    };
  }
  async benchmark(): Promise<BenchResult> {
    const stat = { median: 2, min: 1, max: 3 };
    return {
      promptTokens: 4, genTokens: 4, runs: 1, prefillMs: stat, prefillTokensPerS: stat, decodeMsPerToken: stat,
      decodeTokensPerS: stat, backend: 'wasm', adapter: null, isSoftwareAdapter: false,
    };
  }
  /** GPU benchmark of the fake: decode takes 1 + context / 1000 ms per token, bandwidth 100 GB/s; progress per point, honours the signal. */
  async benchmarkGpu(request: GpuBenchRequest, options: JobOptions<GpuBenchProgress> = {}): Promise<GpuBenchResult> {
    if (!this.model) throw new LabError('no-model', 'No model loaded.');
    const contexts = request.contexts ?? [16, 64, 256];
    const figure = (contextTokens: number) => {
      const ms = 1 + contextTokens / 1000;
      const bytesPerToken = 4000 + 128 * contextTokens;
      const boundTokensPerS = 100e9 / bytesPerToken;
      return { contextTokens, msPerToken: { median: ms, min: ms, max: ms }, tokensPerS: { median: 1000 / ms, min: 1000 / ms, max: 1000 / ms }, bound: { contextTokens, bytesPerToken, boundTokensPerS, fractionOfBound: 1000 / ms / boundTokensPerS } };
    };
    const sweep = [];
    for (const [i, c] of contexts.entries()) {
      await tick(this.windowDelayMs);
      throwIfCancelled(options.signal);
      options.onProgress?.({ phase: 'sweep', fraction: (i + 1) / contexts.length, message: `point ${i + 1}`, point: i + 1, points: contexts.length, contextTokens: c });
      sweep.push({ ...figure(c), fillMs: { median: c / 10, min: c / 10, max: c / 10 }, chunkTokens: Math.min(512, c) });
    }
    const stat = { median: 2, min: 1, max: 3 };
    const P = request.promptTokens ?? 128;
    return {
      which: request.which ?? 'loaded', modelName: this.model.name, weightsHash: this.model.weightsHash, parameters: 1000, layers: 5, maxPositionEmbeddings: 512,
      backend: 'webgpu', precision: 'fp32', adapter: { vendor: 'acme', architecture: 'fast', description: '' }, isSoftwareAdapter: false, userAgent: 'FakeBrowser/1',
      weightsBytes: 4000, kvBytesPerToken: 128, bandwidth: { gbPerS: { median: 100, min: 90, max: 110 }, bytesPerBatch: 1, batches: 5 }, bandwidthNote: null, peakGpuBytes: 8000,
      promptTokens: P, genTokens: request.genTokens ?? 64, runs: request.runs ?? 3, prefillMs: stat, prefillTokensPerS: stat, decode: figure(P), sweep, elapsedMs: 1,
    };
  }
  async generate(request: { prompt: string }, options: JobOptions<{ tokens: number; text: string }> = {}): Promise<GenerateResult> {
    options.onProgress?.({ tokens: 1, text: `${request.prompt}!` });
    return { text: `${request.prompt}!`, promptTokens: 1, newTokens: 1, tokenIds: [1], stoppedBy: 'max-new-tokens', elapsedMs: 1 };
  }

  // Pruning: three methods whose params cover every ParamSpec type; SLEB reports a trace entry per step.
  receivedPrune: PruneRequest | null = null;
  pruneStepDelayMs = 2;
  exportedWhich: ExportRequest['which'] | null = null;

  async methods(): Promise<MethodInfo[]> {
    return fakeMethods();
  }
  async finetune(request: FinetuneRequest, options: JobOptions<FinetuneProgress> = {}): Promise<FinetuneResult> {
    if (!this.model) throw new LabError('no-model', 'No model loaded.');
    const trace = Array.from({ length: request.steps }, (_, k) => ({ step: k + 1, loss: 3 - k * 0.1, lr: 1e-3, gradNorm: 1, tokensPerS: 1000 }));
    for (const step of trace) {
      if (options.signal?.aborted) throw new LabError('cancelled', 'Cancelled.');
      options.onProgress?.({ phase: 'training', fraction: step.step / request.steps, message: `step ${step.step}`, step });
    }
    return {
      which: request.which ?? 'loaded', mode: request.lora === null ? 'full' : 'lora', lora: request.lora === null ? null : { rank: 8, alpha: 16, masked: false }, trainEmbeddings: request.trainEmbeddings ?? false,
      trainedParameters: 1000, steps: request.steps, stepsRequested: request.steps, stoppedEarly: false, batch: 8, seqLen: 128, microBatches: 1, trace,
      pplBefore: null, pplAfter: null, textName: 'text', trainTokens: 1000, heldOutTokens: 300, elapsedMs: 1, backend: 'wasm', tokensPerS: 1000,
    };
  }

  async prune(request: PruneRequest, options: JobOptions<PruneProgress> = {}): Promise<PruneResult> {
    if (!this.model) throw new LabError('no-model', 'No model loaded.');
    this.receivedPrune = request;
    const layers = this.model.numLayers;
    const trace: TraceEntry[] = [];
    let removed: number[] = [];
    if (request.methodId === 'drop-blocks') removed = String(request.params.blocks).split(',').map(Number);
    if (request.methodId === 'sleb') {
      const steps = Number(request.params.numBlocks ?? 1);
      for (let step = 0; step < steps; step++) {
        const candidates = [];
        for (let block = 0; block < layers; block++) {
          if (removed.includes(block)) continue;
          await tick(this.pruneStepDelayMs);
          throwIfCancelled(options.signal);
          candidates.push({ block, nll: 1 + Math.abs(block - 2) / 10, ppl: Math.exp(1 + Math.abs(block - 2) / 10) });
          // Each candidate re-reports the step so far (chosen −1 until the step ends).
          options.onProgress?.({ phase: 'planning', fraction: 0.1, message: `SLEB step ${step + 1}`, trace: { kind: 'sleb-step', step, candidates: [...candidates], chosen: -1 } });
        }
        const chosen = candidates.reduce((best, c) => (c.nll < best.nll ? c : best)).block;
        const entry: TraceEntry = { kind: 'sleb-step', step, candidates, chosen };
        trace.push(entry);
        removed = [...removed, chosen].sort((a, b) => a - b);
        options.onProgress?.({ phase: 'planning', fraction: 0.5, message: `SLEB step ${step + 1} removed block ${chosen}`, trace: entry });
      }
    }
    const sparsity = request.methodId === 'wanda' ? Number(request.params.sparsity) : 0;
    if (request.methodId === 'wanda') {
      for (let block = 0; block < layers; block++) {
        await tick(this.pruneStepDelayMs);
        throwIfCancelled(options.signal);
        const entry: TraceEntry = { kind: 'layer-pruned', block, sparsity };
        trace.push(entry);
        options.onProgress?.({ phase: 'planning', fraction: (block + 1) / layers, message: `pruning block ${block + 1}/${layers}`, trace: entry });
      }
    }
    const layersAfter = layers - removed.length;
    const ppl = request.evaluation ? await this.evaluatePerplexity(request.evaluation) : null;
    return {
      methodId: request.methodId, params: request.params, overallSparsity: sparsity,
      layerSparsity: Array.from({ length: layersAfter }, (_, block) => ({ block, name: `model.layers.${block}.mlp.up_proj.weight`, sparsity })),
      blockSparsity: Array.from({ length: layersAfter }, () => sparsity), removedBlocks: removed, trace,
      stats: { calibrationMs: 1, methodMs: 1, forwardPasses: 1, sessionsCreated: 1 },
      parametersBefore: 1000, parametersAfter: 1000 - removed.length * 100, layersBefore: layers, layersAfter,
      calibration: { windows: request.calibration.windows ?? 64, seqLen: request.calibration.seqLen ?? 256, sampling: request.calibration.sampling ?? 'first', seed: request.calibration.seed ?? 0, textName: 'fake' },
      pplBefore: ppl, pplAfter: ppl, speedBefore: null, speedAfter: null,
      speedNote: sparsity > 0 ? 'Zeroed weights: no speed-up on dense kernels.' : 'Blocks removed: fewer layers run.', elapsedMs: 1,
      storedPlan: { planId: `plan-fake-${++this.plansStored}`, bytes: 8, reason: null },
      // Accuracy falls by 0.05 per removed block (dense: acc 0.3, acc_norm 0.35).
      ...(request.accuracy
        ? {
            accuracyBefore: { acc: 0.3, accNorm: 0.35, accStderr: 0.05, accNormStderr: 0.05, items: request.accuracy.maxItems ?? 300, dataName: 'hellaswag-val-first300.jsonl' },
            accuracyAfter: { acc: 0.3 - 0.05 * removed.length, accNorm: 0.35 - 0.05 * removed.length, accStderr: 0.05, accNormStderr: 0.05, items: request.accuracy.maxItems ?? 300, dataName: 'hellaswag-val-first300.jsonl' },
          }
        : {}),
    };
  }
  plansStored = 0;
  deletedPlans: string[] = [];
  exportedPlanId: string | undefined;

  async deletePlan(planId: string): Promise<void> {
    this.deletedPlans.push(planId);
  }

  async exportModel(request: ExportRequest): Promise<ExportedFile[]> {
    this.exportedWhich = request.which;
    this.exportedPlanId = request.planId;
    return [
      { path: 'config.json', blob: new Blob(['{"num_hidden_layers":4}']) },
      { path: 'model.safetensors', blob: new Blob([new Uint8Array(40)]) },
    ];
  }
}

export function fakeMethods(): MethodInfo[] {
  const paper = { title: 'A paper', url: 'https://arxiv.org/abs/0000.00000' };
  return [
    {
      id: 'drop-blocks', label: 'Drop blocks', kind: 'blocks', summary: 'Removes the blocks you name.', paper, needsCalibration: false,
      params: [{ name: 'blocks', label: 'Blocks', type: 'block-list', default: '', help: 'Block indices to remove, 0-based.' }],
    },
    {
      id: 'sleb', label: 'SLEB', kind: 'blocks', summary: 'Removes blocks one by one by perplexity.', paper, needsCalibration: true,
      params: [{ name: 'numBlocks', label: 'Blocks to remove', type: 'integer', default: 1, min: 1, max: 4, step: 1, help: 'How many blocks to remove.' }],
    },
    {
      id: 'wanda', label: 'Wanda', kind: 'sparsity', summary: 'Zeros weights by |W|·‖X‖.', paper, needsCalibration: true,
      params: [
        { name: 'sparsity', label: 'Sparsity', type: 'number', default: 0.5, min: 0, max: 0.99, step: 0.01, help: 'Fraction 0..1 zeroed.' },
        { name: 'pattern', label: 'Pattern', type: 'enum', default: 'unstructured', options: [{ value: 'unstructured', label: 'Unstructured' }, { value: '2:4', label: '2:4' }], help: 'N:M or not.' },
        { name: 'perRow', label: 'Per row', type: 'boolean', default: true, help: 'Compare within rows.' },
      ],
    },
  ];
}
