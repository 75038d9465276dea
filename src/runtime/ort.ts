// The ONLY importer of onnxruntime-web (the app aliases it to 'onnxruntime-web/webgpu'): global
// configuration, backend detection and session creation. Uses the common API only.

import * as ort from 'onnxruntime-web';
import { LabError } from '../errors';

export interface BackendInfo {
  /** Execution provider the sessions use. */
  backend: 'webgpu' | 'wasm';
  /** GPU adapter info when WebGPU is available. */
  adapter: { vendor: string; architecture: string; device: string; description: string } | null;
  /** True for SwiftShader and other CPU adapters: timings say nothing about a GPU. */
  isSoftwareAdapter: boolean;
  /** Why WebGPU is not used, when it is not. */
  fallbackReason: string | null;
  threads: number;
}

export { ort };
export type Backend = 'webgpu' | 'wasm';

export interface OrtConfig {
  /** Where the .wasm/.mjs files are served from (browser); ignored when undefined. */
  wasmPaths?: string;
  /** WASM threads; 1 when cross-origin isolation is missing. */
  numThreads?: number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

export function configureOrt(config: OrtConfig = {}): void {
  if (config.wasmPaths !== undefined) ort.env.wasm.wasmPaths = config.wasmPaths;
  if (config.numThreads !== undefined) ort.env.wasm.numThreads = Math.max(1, Math.floor(config.numThreads));
  ort.env.logLevel = 'error';
}

export function wasmThreads(): number {
  return Math.max(1, ort.env.wasm.numThreads ?? 1);
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render|\bcpu\b/i;

/** True for SwiftShader and other CPU-emulated adapters, whose timings say nothing about a GPU. */
export function isSoftwareAdapter(info: { vendor: string; architecture: string; device: string; description: string }): boolean {
  return SOFTWARE_ADAPTER.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  isFallbackAdapter?: boolean;
}

export async function detectBackend(preferWebGpu: boolean): Promise<BackendInfo> {
  const wasm = (reason: string | null, adapter: BackendInfo['adapter'] = null, software = false): BackendInfo => ({
    backend: 'wasm',
    adapter,
    isSoftwareAdapter: software,
    fallbackReason: reason,
    threads: wasmThreads(),
  });
  if (!preferWebGpu) return wasm('WASM was requested.');
  if (isNode) return wasm('Running under Node: onnxruntime-web has no WebGPU here.');
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } | undefined)?.gpu;
  if (!gpu) return wasm('This browser has no WebGPU (navigator.gpu is missing).');
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return wasm(`WebGPU adapter request failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!adapter) return wasm('WebGPU returned no adapter (GPU blocklisted or disabled).');
  const i = adapter.info ?? {};
  const info = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
  return {
    backend: 'webgpu',
    adapter: info,
    isSoftwareAdapter: adapter.isFallbackAdapter === true || isSoftwareAdapter(info),
    fallbackReason: null,
    threads: wasmThreads(),
  };
}

export interface SessionOptions {
  backend: Backend;
  /** Output names to keep on the GPU (webgpu only); the caller must dispose them. */
  gpuOutputs?: string[];
  externalData?: { path: string; data: Uint8Array }[];
}

export async function createSession(model: Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [options.backend],
    graphOptimizationLevel: 'all',
  };
  if (options.backend === 'webgpu' && options.gpuOutputs?.length) {
    opts.preferredOutputLocation = Object.fromEntries(options.gpuOutputs.map((n) => [n, 'gpu-buffer' as const]));
  }
  if (options.externalData) opts.externalData = options.externalData;
  try {
    return await ort.InferenceSession.create(model, opts);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new LabError('runtime', `onnxruntime could not create a ${options.backend} session: ${message}`);
  }
}

export function int64Tensor(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new ort.Tensor('int64', data, dims);
}

export function float32Tensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** Reads a float32 (or float16) output tensor to a Float32Array, downloading from the GPU if needed. */
export async function readFloat32(t: ort.Tensor): Promise<Float32Array> {
  const data = t.location === 'cpu' || t.location === undefined ? t.data : await t.getData();
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, halfToFloat);
  throw new LabError('runtime', `expected a float tensor, got ${t.type}`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
