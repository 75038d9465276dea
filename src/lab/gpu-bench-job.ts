// Lab.benchmarkGpu's job ("Benchmark this model on my GPU"): for the loaded or the pruned model, prefill and
// decode (evaluation/benchmark), decode ms/token against context length (evaluation/context-sweep, the cache
// filled in chunks), the peak of GPU buffers while measuring, then the adapter's read bandwidth (runtime/
// bandwidth-probe) and each decode figure's share of its physical bound (evaluation/decode-bound).

import { throwIfCancelled } from '../errors';
import { runBenchmark } from '../evaluation/benchmark';
import { runContextSweep } from '../evaluation/context-sweep';
import { decodeBoundAt, KV_CACHE_ELEMENT_BYTES, kvBytesPerToken } from '../evaluation/decode-bound';
import { parameterCount, type ModelSpec } from '../model/model-spec';
import type { Engine } from '../runtime/engine';
import { resetWebGpuPeak, webGpuBufferStats, webGpuReadBandwidth } from '../runtime/gpu-device';
import { adapterLabel } from '../runtime/ort';
import type { BackendInfo, GpuBenchProgress, GpuBenchResult, JobOptions } from './lab-api';
import { heldPrecision } from './memory-check';

/** The context sweep fills the cache at most this many tokens per run, and with at most this many attention scores (heads × chunk × context, fp32: 256 MiB) per run. */
export const MAX_FILL_CHUNK = 512;
export const MAX_FILL_SCORES = 2 ** 26;

export interface GpuBenchJob {
  which: 'loaded' | 'pruned';
  spec: ModelSpec;
  /** The engine to measure (made for the run when it is the pruned model's). */
  engine: Engine;
  backend: BackendInfo;
  model: { name: string; weightsHash: string };
  /** Bytes of the measured model's weights as the runtime holds them. */
  weightsBytes: number;
  promptTokens: number;
  genTokens: number;
  runs: number;
  warmupRuns: number;
  contexts: number[];
}

export function numHeadsOf(spec: ModelSpec): number {
  return Math.max(1, ...spec.layers.map((l) => l.numHeads));
}

export async function runGpuBenchJob(job: GpuBenchJob, options: JobOptions<GpuBenchProgress>): Promise<GpuBenchResult> {
  const started = performance.now();
  const { spec, engine, backend, promptTokens: P, genTokens: G, runs, warmupRuns } = job;
  const { config } = spec;
  const report = (p: GpuBenchProgress) => options.onProgress?.(p);
  const onGpu = backend.backend === 'webgpu';
  // The peak of GPU buffers alive while measuring (the measured model's weights, cache, activations); the bandwidth probe comes after.
  if (onGpu) resetWebGpuPeak();
  const bench = await runBenchmark(engine, { promptTokens: P, genTokens: G, runs, warmupRuns }, {
    vocabSize: config.vocabSize,
    contextLength: config.maxPositionEmbeddings,
    backend: backend.backend,
    adapter: adapterLabel(backend),
    isSoftwareAdapter: backend.isSoftwareAdapter,
    signal: options.signal,
    onProgress: (p) => report({ phase: 'prefill-decode', fraction: (0.2 * (p.phase === 'warmup' ? 0 : p.run - 1)) / p.runs, message: `prefill and decode: ${p.phase}, run ${p.run} of ${p.runs}` }),
  });
  const sweep = await runContextSweep(engine, { contexts: job.contexts, genTokens: G, runs, warmupRuns }, {
    vocabSize: config.vocabSize,
    contextLength: config.maxPositionEmbeddings,
    maxChunkTokens: MAX_FILL_CHUNK,
    numHeads: numHeadsOf(spec),
    maxChunkScores: MAX_FILL_SCORES,
    signal: options.signal,
    onProgress: (p) =>
      report({
        phase: 'sweep',
        fraction: 0.2 + (0.75 * (p.point - 1 + (p.phase === 'warmup' ? 0 : (p.run - (p.phase === 'decoding' ? 0.5 : 1)) / p.runs))) / p.points,
        message: `decode after ${p.contextTokens} tokens: point ${p.point} of ${p.points}, ${p.phase} (run ${p.run} of ${p.runs})`,
        point: p.point,
        points: p.points,
        contextTokens: p.contextTokens,
      }),
  });
  const peakGpuBytes = onGpu ? webGpuBufferStats().peakBytes : null;
  let bandwidth: GpuBenchResult['bandwidth'] = null;
  let bandwidthNote: string | null = onGpu ? null : `no GPU to probe on ${backend.backend}`;
  if (onGpu) {
    report({ phase: 'bandwidth', fraction: 0.97, message: 'measuring the adapter’s read bandwidth' });
    try {
      // A software adapter reads CPU memory slowly: a smaller probe (its figure says nothing about a GPU anyway).
      const measured = await webGpuReadBandwidth(backend.isSoftwareAdapter ? { maxBytes: 32 * 2 ** 20, dispatches: 4, batches: 3 } : {});
      bandwidth = { gbPerS: measured.gbPerS, bytesPerBatch: measured.bytesPerBatch, batches: measured.batches };
    } catch (error) {
      bandwidthNote = `the bandwidth probe failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    throwIfCancelled(options.signal);
  }
  const precision = heldPrecision(backend.backend, backend.precision);
  const kvBytes = kvBytesPerToken(spec.layers, KV_CACHE_ELEMENT_BYTES);
  const gbPerS = bandwidth?.gbPerS.median ?? null;
  const bound = (tokensPerS: number, contextTokens: number) => decodeBoundAt(tokensPerS, gbPerS, job.weightsBytes, kvBytes, contextTokens);
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  return {
    which: job.which,
    modelName: job.model.name,
    weightsHash: job.model.weightsHash,
    parameters: parameterCount(spec),
    layers: spec.layers.length,
    maxPositionEmbeddings: config.maxPositionEmbeddings,
    backend: backend.backend,
    precision,
    adapter: backend.adapter ? { vendor: backend.adapter.vendor, architecture: backend.adapter.architecture, description: backend.adapter.description } : null,
    isSoftwareAdapter: backend.isSoftwareAdapter,
    userAgent: typeof nav?.userAgent === 'string' ? nav.userAgent : null,
    weightsBytes: job.weightsBytes,
    kvBytesPerToken: kvBytes,
    bandwidth,
    bandwidthNote,
    peakGpuBytes,
    promptTokens: P,
    genTokens: G,
    runs,
    prefillMs: bench.prefillMs,
    prefillTokensPerS: bench.prefillTokensPerS,
    decode: { contextTokens: P, msPerToken: bench.decodeMsPerToken, tokensPerS: bench.decodeTokensPerS, bound: bound(bench.decodeTokensPerS.median, P) },
    sweep: sweep.points.map((pt) => ({ contextTokens: pt.contextTokens, msPerToken: pt.msPerToken, tokensPerS: pt.tokensPerS, bound: bound(pt.tokensPerS.median, pt.contextTokens), fillMs: pt.fillMs, chunkTokens: pt.chunkTokens })),
    elapsedMs: performance.now() - started,
  };
}
