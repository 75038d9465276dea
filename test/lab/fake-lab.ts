// A small in-memory LabApi for testing the proxy and the store: it reports progress per window,
// honours AbortSignal between windows and fails like the real lab (LabError with a code).

import { LabError, throwIfCancelled } from '../../src/errors';
import type {
  BackendInfo,
  BenchResult,
  GenerateResult,
  JobOptions,
  LabApi,
  LoadProgress,
  ModelSummary,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
} from '../../src/lab/lab-api';
import type { ModelFileRef } from '../../src/model/loaded-model';

export const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

export function summaryFor(name: string, fileBytes: number): ModelSummary {
  return {
    name, family: 'llama', modelType: 'llama', layout: 'onnx-optimum', weightsDtype: 'float32', parameters: 1000,
    fileBytes, fp32Bytes: 4000, vocabSize: 512, hiddenSize: 64, maxPositionEmbeddings: 512, numLayers: 5,
    numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 172, tieWordEmbeddings: true, layers: [],
    importCheck: null, files: [], loadMs: 1,
  };
}

export class FakeLab implements LabApi {
  model: ModelSummary | null = null;
  /** Per-window NLLs the fake "evaluates". */
  windowNlls = [1, 2, 3, 4, 5, 6];
  windowDelayMs = 2;
  receivedFiles: ModelFileRef[] = [];

  async backendInfo(): Promise<BackendInfo> {
    return { backend: 'wasm', adapter: null, isSoftwareAdapter: false, fallbackReason: 'no WebGPU in tests', threads: 1 };
  }
  async modelSummary() {
    return this.model;
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
  async generate(request: { prompt: string }, options: JobOptions<{ tokens: number; text: string }> = {}): Promise<GenerateResult> {
    options.onProgress?.({ tokens: 1, text: `${request.prompt}!` });
    return { text: `${request.prompt}!`, promptTokens: 1, newTokens: 1, tokenIds: [1], stoppedBy: 'max-new-tokens', elapsedMs: 1 };
  }
}
