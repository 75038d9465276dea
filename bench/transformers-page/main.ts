// The transformers.js peer page (bench/transformers-page): transformers.js, bundled with its own
// onnxruntime-web, loading a model folder served from this origin (nothing remote), exposed to the
// driver (bench/transformers-peer.ts) as `window.transformersPeer`. Timed greedy generation the way
// bench/transformers-side.ts times it in Node: prefill = generate() call → first new token streamed;
// decode = first → last new token, per token.

import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';

export interface PeerLoadRequest {
  /** Folder name under /models/ on this origin. */
  modelId: string;
  /** 'webgpu' falls back to 'wasm' when the page has no WebGPU adapter (recorded in `device`). */
  device: 'webgpu' | 'wasm';
}

export interface PeerInfo {
  device: 'webgpu' | 'wasm';
  fallbackReason: string | null;
  adapter: string | null;
  ortVersion: string | null;
  transformersVersion: string;
  numThreads: number | null;
  crossOriginIsolated: boolean;
  loadMs: number;
}

export interface PeerGeneration {
  prefillMs: number;
  /** First → last new token ÷ (newTokens − 1). */
  decodeMsPerToken: number;
  newTokenIds: number[];
}

type Model = Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;
let model: Model | null = null;

const ortDir = `${location.origin}/tjs-ort/`;
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${location.origin}/models/`;
env.useBrowserCache = false;
env.useWasmCache = false;
const wasm = env.backends.onnx.wasm!;
// transformers.js points these at a CDN when it is imported; ours serves its onnxruntime-web's dist.
wasm.wasmPaths = { mjs: `${ortDir}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ortDir}ort-wasm-simd-threaded.asyncify.wasm` };

async function adapterName(): Promise<string | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string; description: string } } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (!adapter) return null;
  const info = adapter.info;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ') || 'unnamed adapter' : 'unnamed adapter';
}

async function load(request: PeerLoadRequest): Promise<PeerInfo> {
  const started = performance.now();
  const adapter = await adapterName();
  let device = request.device;
  let fallbackReason: string | null = null;
  if (device === 'webgpu' && !adapter) {
    device = 'wasm';
    fallbackReason = 'no WebGPU adapter in this page';
  }
  model = await AutoModelForCausalLM.from_pretrained(request.modelId, { device, dtype: 'fp32' });
  const versions = (env.backends.onnx as { versions?: Record<string, string> }).versions;
  return {
    device,
    fallbackReason,
    adapter,
    ortVersion: versions?.web ?? versions?.common ?? null,
    transformersVersion: env.version,
    numThreads: typeof wasm.numThreads === 'number' ? wasm.numThreads : null,
    crossOriginIsolated: self.crossOriginIsolated,
    loadMs: performance.now() - started,
  };
}

async function generate(promptIds: number[], newTokens: number): Promise<PeerGeneration> {
  if (!model) throw new Error('transformersPeer.load() first');
  const P = promptIds.length;
  const input_ids = new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, P]);
  const attention_mask = new Tensor('int64', new BigInt64Array(P).fill(1n), [1, P]);
  // put() gets the prompt once, then each new token right after it is chosen (copied: generate extends its array).
  const puts: { ms: number; ids: bigint[] }[] = [];
  const streamer = { put: (value: bigint[][]) => void puts.push({ ms: performance.now(), ids: [...value[0]] }), end: () => {} };
  const started = performance.now();
  const out = (await model.generate({
    input_ids,
    attention_mask,
    max_new_tokens: newTokens,
    min_new_tokens: newTokens, // EOS masked until then: exactly newTokens on every run
    do_sample: false,
    streamer,
  } as never)) as Tensor;
  if (puts.length !== newTokens + 1 || puts[0].ids.length !== P || puts.slice(1).some((p) => p.ids.length !== 1))
    throw new Error(`streamer: expected 1 prompt put of ${P} ids then ${newTokens} single-token puts, got ${puts.map((p) => p.ids.length).join(',')}`);
  const produced = Number(out.dims[1]) - P;
  if (produced !== newTokens) throw new Error(`transformers.js generated ${produced} new tokens, expected ${newTokens}`);
  const first = puts[1].ms;
  return {
    prefillMs: first - started,
    decodeMsPerToken: newTokens > 1 ? (puts[newTokens].ms - first) / (newTokens - 1) : NaN,
    newTokenIds: puts.slice(1).map((p) => Number(p.ids[0])),
  };
}

async function dispose(): Promise<void> {
  await model?.dispose();
  model = null;
}

Object.assign(window, { transformersPeer: { load, generate, dispose } });
const status = document.getElementById('status')!;
status.dataset.status = 'ready';
status.textContent = 'transformers.js peer: ready';
