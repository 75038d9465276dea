// The memory plan's figures, computed by hand for a Qwen2.5-0.5B-shaped model and for stories260K,
// and the checks against WebGPU / wasm / native limits (runtime/memory-plan.ts, memory-limits.ts).

import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import type { ModelSpec } from '../../src/model/model-spec';
import {
  exceededWebSessionLimit,
  nativeLimits,
  readWebGpuAdapterLimits,
  tighterTotal,
  wasmLimits,
  webGpuLimits,
  withUserLimit,
  WASM32_HEAP_BYTES,
  limitKindOf,
  webSessionHeapBytes,
} from '../../src/runtime/memory-limits';
import {
  calibrationWindowsPerRun,
  checkJobFits,
  estimateJobMemory,
  exceededLimit,
  formatMemory,
  memoryShapeOf,
  suggestFixes,
  type MemoryShape,
} from '../../src/runtime/memory-plan';

const layers = (n: number, l: MemoryShape['layers'][number]) => Array.from({ length: n }, () => ({ ...l }));

/** Qwen/Qwen2.5-0.5B: 24 layers, hidden 896, 14 heads / 2 KV heads of 64, FFN 4864, vocab 151936, tied. */
const qwen: MemoryShape = {
  family: 'llama',
  hidden: 896,
  vocab: 151_936,
  tied: true,
  maxPositions: 32_768,
  layers: layers(24, { numHeads: 14, numKvHeads: 2, headDim: 64, intermediateSize: 4864 }),
  // embed 151936·896 + 24 · (q 896·896 + 896 + k,v 2·(896·128 + 128) + o 896·896 + 3·896·4864 + 2·896) + norm 896
  parameters: 151_936 * 896 + 24 * (896 * 896 + 896 + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896) + 896,
};

/** Karpathy's stories260K: 5 layers, hidden 64, 8 heads / 4 KV heads of 8, FFN 172, vocab 512, tied. */
const stories: MemoryShape = {
  family: 'llama',
  hidden: 64,
  vocab: 512,
  tied: true,
  maxPositions: 512,
  layers: layers(5, { numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 172 }),
  parameters: 260_032,
};

describe('estimateJobMemory on a Qwen2.5-0.5B shape', () => {
  it('counts 494,032,768 parameters: 1.98 GB of fp32 weights, half in fp16', () => {
    expect(qwen.parameters).toBe(494_032_768);
    const fp32 = estimateJobMemory(qwen, { kind: 'decode', promptTokens: 1, newTokens: 1 }, 'fp32');
    const fp16 = estimateJobMemory(qwen, { kind: 'decode', promptTokens: 1, newTokens: 1 }, 'fp16');
    expect(fp32.weightsBytes).toBe(1_976_131_072);
    expect(fp16.weightsBytes).toBe(988_065_536);
  });

  it('perplexity, 8 windows of 256 per run: the logits (and their log-softmax) dominate', () => {
    const e = estimateJobMemory(qwen, { kind: 'perplexity', seqLen: 256, windows: 64, batchWindows: 8 }, 'fp32');
    const rowsT = 8 * 256;
    const hidden = 4 * rowsT * 896 * 4; // 29,360,128
    const qkv = rowsT * (14 + 2 * 2) * 64 * 4; // 9,437,184
    const scores = 2 * 8 * 14 * 256 * 256 * 4; // 58,720,256
    const ffn = 3 * rowsT * 4864 * 4; // 119,537,664
    const logits = 2 * rowsT * 151_936 * 4; // 2,489,319,424
    expect(e.kvCacheBytes).toBe(0);
    expect(e.activationBytes).toBe(hidden + qkv + scores + ffn + logits);
    expect(e.activationBytes).toBe(2_706_374_656);
    expect(e.totalBytes).toBe(1_976_131_072 + 2_706_374_656);
    expect(e.largestTensorBytes).toBe(1_244_659_712); // logits [8, 256, 151936] fp32, over the 544.5 MB embedding
    expect(e.largestTensor).toBe('logits [8, 256, 151936] fp32');
    // The batch, not the number of windows, sets the activations; fewer windows than a batch shrink it.
    expect(estimateJobMemory(qwen, { kind: 'perplexity', seqLen: 256, windows: 1198, batchWindows: 8 }).totalBytes).toBe(e.totalBytes);
    expect(estimateJobMemory(qwen, { kind: 'perplexity', seqLen: 256, windows: 2, batchWindows: 8 }).activationBytes).toBe((hidden + qkv + scores + ffn + logits) / 4);
  });

  it('decode: KV cache layers × 2 × kvHeads × headDim × tokens × 4 bytes, past and present both alive', () => {
    const e = estimateJobMemory(qwen, { kind: 'decode', promptTokens: 128, newTokens: 64, sessions: 1 });
    expect(e.kvCacheBytes).toBe(2 * (24 * 2 * 2 * 64 * 192 * 4)); // 9,437,184
    // Prefill of 128 tokens, last-position logits only.
    const act = 4 * 128 * 896 * 4 + 128 * 18 * 64 * 4 + 2 * 14 * 128 * 128 * 4 + 3 * 128 * 4864 * 4 + 151_936 * 4;
    expect(e.activationBytes).toBe(act);
    expect(act).toBe(12_338_688);
    expect(e.largestTensorBytes).toBe(151_936 * 896 * 4); // the embedding table
    // The cache stops at the context.
    const long = estimateJobMemory(qwen, { kind: 'decode', promptTokens: 32_000, newTokens: 10_000 });
    expect(long.kvCacheBytes).toBe(2 * 24 * 2 * 2 * 64 * 32_768 * 4);
  });

  it('decode after a cache filled in chunks: the chunk attends to past + chunk keys, the cache holds past + chunk + new', () => {
    const e = estimateJobMemory(qwen, { kind: 'decode', promptTokens: 512, newTokens: 64, pastTokens: 3584 });
    expect(e.kvCacheBytes).toBe(2 * (24 * 2 * 2 * 64 * (3584 + 512 + 64) * 4));
    // Scores [14 heads, 512 queries, 4096 keys], twice (scores and softmax): 8× the 512-key figure.
    const scores = (keys: number) => 2 * 14 * 512 * keys * 4;
    const alone = estimateJobMemory(qwen, { kind: 'decode', promptTokens: 512, newTokens: 64 });
    expect(e.activationBytes - alone.activationBytes).toBe(scores(4096) - scores(512));
    expect(e.batch).toBe('3584 cached + prompt 512 + 64 new tokens');
  });

  it('SparseGPT calibration: 16 windows per run, all 64 windows of stream, Gram matrices and the solver copies', () => {
    expect(calibrationWindowsPerRun(qwen, 256, false)).toBe(16); // 4096 tokens per run
    expect(calibrationWindowsPerRun(qwen, 256, true)).toBe(1); // 64 Mi logits per run
    const e = estimateJobMemory(qwen, { kind: 'calibration', pass: 'blocks', stats: 'gram', seqLen: 256, windows: 64 });
    const rowsT = 16 * 256;
    const forward = 4 * rowsT * 896 * 4 + rowsT * 18 * 64 * 4 + 2 * 16 * 14 * 256 * 256 * 4 + 3 * rowsT * 4864 * 4; // 434,110,464
    const stream = 2 * 64 * 256 * 896 * 4; // 117,440,512
    const gram = (3 * 896 ** 2 + 4864 ** 2) * (4 + 8) + 6 * 4864 ** 2 * 8; // 312,803,328 + 1,135,607,808
    expect(forward).toBe(434_110_464);
    expect(e.activationBytes).toBe(forward + stream + gram);
    const block = 2 * 896 * 14 * 64 + 2 * 896 * 2 * 64 + 3 * 896 * 4864; // 14,909,440 weights fed per run
    expect(e.weightsBytes).toBe(1_976_131_072 + block * 4);
    // Wanda needs only the squared norms.
    const wanda = estimateJobMemory(qwen, { kind: 'calibration', pass: 'blocks', stats: 'norms', seqLen: 256, windows: 64 });
    expect(wanda.activationBytes).toBe(forward + stream + (3 * 896 + 4864) * 12);
  });

  it('export: files in JS memory, not on the device', () => {
    const e = estimateJobMemory(qwen, { kind: 'export', outputs: ['safetensors'] });
    expect(e).toMatchObject({ weightsBytes: 0, kvCacheBytes: 0, activationBytes: 1_976_131_072, onDevice: false });
  });
});

describe('estimateJobMemory on stories260K', () => {
  it('perplexity of 8 windows of 256 with 3 session copies: 52.4 MB, attention scores first', () => {
    const e = estimateJobMemory(stories, { kind: 'perplexity', seqLen: 256, windows: 1198, batchWindows: 8, sessions: 3 });
    expect(e.weightsBytes).toBe(3 * 260_032 * 4); // 3,120,384
    const act = 4 * 2048 * 64 * 4 + 2048 * 16 * 8 * 4 + 2 * 8 * 8 * 256 * 256 * 4 + 3 * 2048 * 172 * 4 + 2 * 2048 * 512 * 4;
    expect(act).toBe(49_315_840);
    expect(e.activationBytes).toBe(act);
    expect(e.totalBytes).toBe(52_436_224);
    expect(e.largestTensor).toBe('attention scores [8, 8, 256, 256] fp32');
    expect(e.largestTensorBytes).toBe(16_777_216);
  });

  it('generate 40 tokens after a 5-token prompt: under 4 MB', () => {
    const e = estimateJobMemory(stories, { kind: 'decode', promptTokens: 5, newTokens: 40, sessions: 3 });
    expect(e.kvCacheBytes).toBe(2 * 5 * 2 * 4 * 8 * 45 * 4); // 115,200
    expect(e.totalBytes).toBeLessThan(4e6);
  });

  it('memoryShapeOf reads the numbers from a ModelSpec', () => {
    const spec = {
      family: 'llama',
      config: { hiddenSize: 64, vocabSize: 512, tieWordEmbeddings: true, maxPositionEmbeddings: 512 },
      layers: [{ sourceIndex: 0, numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 172 }],
      weights: new Map([
        ['a', { shape: [3], data: new Float32Array(3) }],
        ['b', { shape: [2, 2], data: new Float32Array(4) }],
      ]),
    } as unknown as ModelSpec;
    expect(memoryShapeOf(spec)).toEqual({
      family: 'llama',
      hidden: 64,
      vocab: 512,
      tied: true,
      maxPositions: 512,
      layers: [{ numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 172 }],
      parameters: 7,
    });
  });
});

describe('limits', () => {
  it('wasm: the 4 GiB wasm32 heap, less what is in use', () => {
    expect(wasmLimits()).toMatchObject({ kind: 'wasm', totalBytes: WASM32_HEAP_BYTES });
    expect(wasmLimits(1024 ** 3).totalBytes).toBe(3 * 1024 ** 3);
    expect(WASM32_HEAP_BYTES).toBe(4_294_967_296);
  });

  it('native: free memory plus what the lab already holds, at most the total', () => {
    const l = nativeLimits({ freeBytes: 6e9, totalBytes: 16e9 }, 1e9, 'cuda');
    expect(l).toMatchObject({ kind: 'native', totalBytes: 7e9, backend: 'cuda' });
    expect(l.source).toContain('6.00 GB free of 16.00 GB');
    expect(nativeLimits({ freeBytes: 15e9, totalBytes: 16e9 }, 4e9).totalBytes).toBe(16e9);
    expect(['webgpu', 'wasm', 'cpu', 'cuda'].map(limitKindOf)).toEqual(['webgpu', 'wasm', 'native', 'native']);
  });

  it('the user limit only lowers the total, and must be positive', () => {
    expect(withUserLimit(wasmLimits(), 2e9)).toMatchObject({ totalBytes: 2e9, source: 'memoryLimitBytes (CLI --memory-limit-gb)' });
    expect(withUserLimit(wasmLimits(), 8e9).totalBytes).toBe(WASM32_HEAP_BYTES);
    expect(withUserLimit(webGpuLimits(null), 1e9).totalBytes).toBe(1e9);
    expect(() => withUserLimit(wasmLimits(), 0)).toThrow(LabError);
    expect(tighterTotal(wasmLimits(), { totalBytes: 1e9, source: 'x' })).toMatchObject({ kind: 'wasm', totalBytes: 1e9, source: 'x' });
  });

  it('reads the WebGPU adapter limits (navigator.gpu.requestAdapter().limits)', async () => {
    const gpu = { requestAdapter: async () => ({ limits: { maxBufferSize: 4e9, maxStorageBufferBindingSize: 2 ** 30 } }) };
    expect(await readWebGpuAdapterLimits(gpu)).toEqual({ maxBufferSize: 4e9, maxStorageBufferBindingSize: 2 ** 30 });
    expect(await readWebGpuAdapterLimits({ requestAdapter: async () => null })).toBeNull();
    expect(await readWebGpuAdapterLimits({ requestAdapter: async () => Promise.reject(new Error('blocked')) })).toBeNull();
    expect(await readWebGpuAdapterLimits()).toBeNull(); // Node: no navigator.gpu
    const l = webGpuLimits({ maxBufferSize: 4e9, maxStorageBufferBindingSize: 2 ** 30 });
    expect(l).toMatchObject({ kind: 'webgpu', totalBytes: null, maxBufferBytes: 4e9, maxBindingBytes: 2 ** 30 });
  });
});

describe('checkJobFits', () => {
  const job = { kind: 'perplexity', seqLen: 256, windows: 64, batchWindows: 8 } as const;

  it('refuses Qwen perplexity on wasm up front, with the figures, the limit and what would fit', () => {
    const limits = wasmLimits();
    const e = estimateJobMemory(qwen, job);
    let error: unknown;
    try {
      checkJobFits(e, limits, { label: 'perplexity', suggestions: () => suggestFixes(qwen, job, 'fp32', limits) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LabError);
    const { code, message, details } = error as LabError;
    expect(code).toBe('insufficient-memory');
    expect(message).toContain('needed: weights 1.98 GB (fp32) + KV 0.00 MB + activations 2.71 GB (8 windows × 256 tokens) = 4.68 GB');
    expect(message).toContain('allowed: 4.29 GB by the wasm32 heap (4 GiB)');
    expect(message).toContain('fp16 weights (3.69 GB)');
    expect(message).toContain('the CLI on a GPU machine with `--backend cuda`');
    expect(details).toMatchObject({ weightsBytes: 1_976_131_072, kvCacheBytes: 0, activationBytes: 2_706_374_656, totalBytes: 4_682_505_728, limitBytes: WASM32_HEAP_BYTES, limit: 'total', limitKind: 'wasm' });
    // Every suggested change fits when applied.
    const windows = Number(/fewer windows: at most (\d+) \(maxWindows/.exec(message)?.[1]);
    expect(windows).toBe(6);
    expect(exceededLimit(estimateJobMemory(qwen, { ...job, windows }), limits)).toBeNull();
    expect(exceededLimit(estimateJobMemory(qwen, { ...job, windows: windows + 1 }), limits)).not.toBeNull();
  });

  it('on WebGPU a single tensor over maxStorageBufferBindingSize is refused (logits of 8 × 256 × 151936)', () => {
    const limits = webGpuLimits({ maxBufferSize: 4e9, maxStorageBufferBindingSize: 2 ** 30 });
    const e = estimateJobMemory(qwen, job);
    expect(exceededLimit(e, limits)).toEqual({ limit: 'maxStorageBufferBindingSize', limitBytes: 2 ** 30, neededBytes: 1_244_659_712 });
    expect(() => checkJobFits(e, limits, { label: 'perplexity', suggestions: () => suggestFixes(qwen, job, 'fp32', limits) })).toThrow(
      /largest tensor, logits \[8, 256, 151936\] fp32, is 1\.24 GB; allowed: 1\.07 GB by this WebGPU adapter's maxStorageBufferBindingSize.*fewer windows: at most 6 \(maxWindows 6, CLI --max-windows 6\)/,
    );
    // 6 windows: 0.93 GB of logits in one tensor.
    expect(exceededLimit(estimateJobMemory(qwen, { ...job, windows: 6 }), limits)).toBeNull();
    // Export is JS memory: the adapter limits do not apply.
    expect(exceededLimit(estimateJobMemory(qwen, { kind: 'export', outputs: ['safetensors'] }), limits)).toBeNull();
  });

  it('fits silently; native suggestions name a bigger machine once on cuda', () => {
    expect(() => checkJobFits(estimateJobMemory(stories, job), wasmLimits())).not.toThrow();
    const limits = nativeLimits({ freeBytes: 1e9, totalBytes: 8e9 }, 0, 'cuda');
    expect(suggestFixes(qwen, job, 'fp32', limits).at(-1)).toBe('a machine with more memory');
    expect(suggestFixes(qwen, job, 'fp32', nativeLimits({ freeBytes: 1e9, totalBytes: 8e9 })).at(-1)).toContain('--backend cuda');
  });

  it('formats MB below 1 GB and GB above', () => {
    expect([formatMemory(0), formatMemory(3_120_384), formatMemory(52_436_224), formatMemory(4_682_505_728)]).toEqual(['0.00 MB', '3.12 MB', '52.4 MB', '4.68 GB']);
  });
});

describe('onnxruntime-web session creation (lab/memory-check.ts): one protobuf, copied into the 4 GiB wasm32 heap', () => {
  /** A ModelSpec with a release's shape numbers and no weight data (the check reads shapes only). */
  const fakeSpec = (o: { layers: number; hidden: number; heads: number; kvHeads: number; headDim: number; ffn: number; vocab: number; maxPos: number; params: number }): ModelSpec =>
    ({
      family: 'llama',
      config: { hiddenSize: o.hidden, vocabSize: o.vocab, tieWordEmbeddings: true, maxPositionEmbeddings: o.maxPos },
      layers: Array.from({ length: o.layers }, (_, i) => ({ sourceIndex: i, numHeads: o.heads, numKvHeads: o.kvHeads, headDim: o.headDim, intermediateSize: o.ffn })),
      weights: new Map([['all', { shape: [o.params], data: new Float32Array(0) }]]),
    }) as unknown as ModelSpec;
  const qwenSpec = fakeSpec({ layers: 24, hidden: 896, heads: 14, kvHeads: 2, headDim: 64, ffn: 4864, vocab: 151_936, maxPos: 32_768, params: 494_032_768 });
  const llama1b = fakeSpec({ layers: 16, hidden: 2048, heads: 32, kvHeads: 8, headDim: 64, ffn: 8192, vocab: 128_256, maxPos: 131_072, params: 1_235_814_400 });
  const smol360 = fakeSpec({ layers: 32, hidden: 960, heads: 15, kvHeads: 5, headDim: 64, ffn: 2560, vocab: 49_152, maxPos: 8192, params: 361_821_120 });
  const ctx = (spec: ModelSpec, backend: string, precision: 'fp32' | 'fp16' = 'fp32') => ({
    spec,
    engine: { windowsPerBatch: () => 1, sessionsCreated: 0 },
    tokenizer: { encode: (t: string) => t.split(' ').map(() => 0) },
    backend,
    precision,
    options: {},
  });
  const evalJob = { kind: 'perplexity', seqLen: 16, tokens: 1000, maxWindows: 1 } as const;
  const refusal = async (p: Promise<unknown>): Promise<LabError> => {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe('insufficient-memory');
    return error as LabError;
  };

  it('Qwen2.5-0.5B at fp32 on WASM: the protobuf fits under 2 GiB, the session creation not in the heap (measured: std::bad_alloc)', async () => {
    const { checkLabJob, webSessionNeeds } = await import('../../src/lab/memory-check');
    // weights 494,032,768 × 4 + RoPE cos/sin [32768, 64] fp32
    expect(webSessionNeeds(qwen, 'fp32').graphBytes).toBe(1_976_131_072 + 16_777_216);
    const error = await refusal(checkLabJob(ctx(qwenSpec, 'wasm'), evalJob));
    expect(error.message).toContain(
      'Not enough memory for perplexity: onnxruntime-web (wasm) gets the model as one protobuf with its weights embedded: 1.99 GB (fp32), copied into the wasm32 heap to create the session. ' +
        "Needed there: protobuf 1.99 GB + onnxruntime's copy of it 1.99 GB + 2.5 × the largest tensor, embedding [151936, 896], 544.5 MB = 5.35 GB; allowed: 4.29 GB by the wasm32 heap (4 GiB), whatever the GPU holds.",
    );
    expect(error.message).toContain('WebGPU (a browser and GPU that have it): the lab then keeps the weights in GPU buffers');
    expect(error.message).toContain('`npm run lab -- eval --model <dir>`');
    expect(error.details).toMatchObject({ limit: 'wasm-heap', graphBytes: 1_992_908_288, largestTensorBytes: 544_538_624, heapNeededBytes: 5_347_163_136, limitBytes: WASM32_HEAP_BYTES, limitKind: 'wasm' });
    expect((await refusal(checkLabJob(ctx(qwenSpec, 'wasm'), { kind: 'generate', request: { prompt: 'a b', maxNewTokens: 4 } }))).message).toContain('`npm run lab -- generate --model <dir>`');
    // WebGPU engines bind their weights to GPU buffers (no protobuf, no heap), split to fit a binding;
    // the native runtime (CLI) gets external data: neither has that limit.
    const onGpu = await checkLabJob(ctx(qwenSpec, 'webgpu'), evalJob);
    expect(onGpu).toMatchObject({ weightsBytes: 1_976_131_072, sessions: 1 });
    expect(onGpu!.largestTensor).not.toContain('embedding');
    await expect(checkLabJob(ctx(qwenSpec, 'cpu'), evalJob)).resolves.not.toBeNull();
  });

  it("Llama-3.2-1B: runs on WebGPU (weights in GPU buffers), SLEB included; on WASM every full-model session is over protobuf's 2 GiB", async () => {
    const { checkLabJob } = await import('../../src/lab/memory-check');
    await expect(checkLabJob(ctx(llama1b, 'webgpu'), evalJob)).resolves.toMatchObject({ weightsBytes: 4_943_257_600 });
    const fp32 = await refusal(checkLabJob(ctx(llama1b, 'wasm'), evalJob));
    expect(fp32.message).toContain('onnxruntime-web (wasm) gets the model as one protobuf with its weights embedded: 5.01 GB (fp32); protobuf holds at most 2.15 GB (2 GiB).');
    expect(fp32.message).not.toContain('fp16 weights');
    expect(fp32.details).toMatchObject({ limit: 'protobuf', graphBytes: 4_943_257_600 + 67_108_864, limitBytes: 2 ** 31 });
    const slebJob = { kind: 'prune', request: { methodId: 'sleb', params: { blocks: 1 }, calibration: { windows: 2, seqLen: 16 } } as never } as const;
    const sleb = await refusal(checkLabJob(ctx(llama1b, 'wasm'), slebJob));
    expect(sleb.details.job).toBe('prune (calibration)');
    expect(sleb.details).toMatchObject({ limit: 'protobuf', graphBytes: 4_943_257_600 + 67_108_864 });
    await expect(checkLabJob(ctx(llama1b, 'webgpu'), slebJob)).resolves.not.toBeNull();
    // Wanda's block passes feed one block's weights as inputs.
    await expect(checkLabJob(ctx(llama1b, 'webgpu'), { kind: 'prune', request: { methodId: 'wanda', params: { sparsity: 0.5 }, calibration: { windows: 2, seqLen: 16 } } as never })).resolves.not.toBeNull();
  });

  it('a SmolLM2-360M shape at fp32 still fits (measured: 3.30–3.40 GB of heap, the eval ran)', async () => {
    const { checkLabJob, webSessionNeeds } = await import('../../src/lab/memory-check');
    const needs = webSessionNeeds(memoryShapeOf(smol360), 'fp32');
    expect(needs).toMatchObject({ graphBytes: 1_447_284_480 + 4_194_304, largestTensorBytes: 188_743_680, largestTensor: 'embedding [49152, 960]' });
    expect(exceededWebSessionLimit(needs)).toBeNull();
    expect(webSessionHeapBytes(needs)).toBe(2 * 1_451_478_784 + 2.5 * 188_743_680); // 3.37 GB
    await expect(checkLabJob(ctx(smol360, 'webgpu'), evalJob)).resolves.not.toBeNull();
  });
});
