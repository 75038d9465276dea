// The ONLY importer of onnxruntime-web (the app aliases it to 'onnxruntime-web/webgpu'): global
// configuration, backend detection and session creation. Uses the common API only. The native
// runtime (onnxruntime-node) is plugged in by ./native-ort.ts (Node only), never imported here, so
// the browser bundle cannot contain it.

import * as ort from 'onnxruntime-web';
import { LabError } from '../errors';
import type { AdapterSelfTest } from './adapter-self-test';
import { encodeOnnxModel, TensorType, type OnnxModel } from '../graph/onnx-writer';
import type { ComputePrecision } from '../graph/precision';
import { DeviceWeights } from './device-weights';
import { throwIfDeviceLostDuringJob, webGpuDevice } from './gpu-device';

export interface BackendInfo {
  /** Execution provider the sessions use: onnxruntime-web's webgpu/wasm, or onnxruntime-node's cpu/cuda. */
  backend: Backend;
  /** GPU adapter info when WebGPU is available. */
  adapter: { vendor: string; architecture: string; device: string; description: string } | null;
  /** True for SwiftShader and other CPU adapters: timings say nothing about a GPU. */
  isSoftwareAdapter: boolean;
  /** Why WebGPU is not used, when it is not. */
  fallbackReason: string | null;
  threads: number;
  /**
   * Precision of the weight matrices and their products: 'fp16' on WebGPU adapters with shader-f16 and
   * on cuda (unless fp32 is asked for), else 'fp32' (see precisionFor). Norms, softmax, residuals: fp32.
   */
  precision: ComputePrecision;
  /** Why this precision (asked for, adapter has or lacks shader-f16, runtime without fp16 kernels). */
  precisionReason: string;
  /** WebGPU adapter supports 'shader-f16'. */
  shaderF16?: boolean;
  /** The adapter's numeric self-test against WASM (runtime/adapter-self-test), where one ran. */
  selfTest?: AdapterSelfTest | null;
}

/** WASM instead of the WebGPU adapter `info`, saying why (the adapter stays named). */
export function wasmFallback(info: BackendInfo, reason: string, selfTest: AdapterSelfTest | null): BackendInfo {
  return { backend: 'wasm', adapter: info.adapter, isSoftwareAdapter: info.isSoftwareAdapter, fallbackReason: reason, threads: info.threads, selfTest, ...precisionFor({ backend: 'wasm' }) };
}

export type PrecisionRequest = ComputePrecision | 'auto';
/** --precision (auto: fp16 on cuda, fp32 on cpu and wasm), LabApi.setPrecision. */
export const PRECISION_REQUESTS: readonly PrecisionRequest[] = ['auto', 'fp32', 'fp16'];

/** The precision a backend runs at for a request; 'auto' = fp16 where the device computes it natively. */
export function precisionFor(info: Pick<BackendInfo, 'backend' | 'shaderF16'>, requested: PrecisionRequest = 'auto'): { precision: ComputePrecision; precisionReason: string } {
  if (requested === 'fp32') return { precision: 'fp32', precisionReason: 'fp32 was asked for' };
  if (info.backend === 'wasm') return { precision: 'fp32', precisionReason: 'onnxruntime-web WASM has no float16 matrix kernels' };
  if (info.backend === 'webgpu' && !info.shaderF16) return { precision: 'fp32', precisionReason: "this WebGPU adapter lacks 'shader-f16'" };
  if (requested === 'fp16') return { precision: 'fp16', precisionReason: 'fp16 was asked for' };
  if (info.backend === 'cpu') return { precision: 'fp32', precisionReason: 'CPUs compute float16 products through float32 (no memory or speed gain); pass fp16 to use it anyway' };
  return { precision: 'fp16', precisionReason: info.backend === 'webgpu' ? "the adapter has 'shader-f16'" : 'cuda computes float16 natively' };
}

export { ort };
/** onnxruntime-node execution providers the lab drives (Node only). */
export type NativeBackend = 'cpu' | 'cuda';
export type Backend = 'webgpu' | 'wasm' | NativeBackend;

export function isNativeBackend(backend: Backend): backend is NativeBackend {
  return backend === 'cpu' || backend === 'cuda';
}

/** The parts of onnxruntime-node's API the lab uses (same shape as onnxruntime-common's). */
export interface NativeOrt {
  InferenceSession: typeof ort.InferenceSession;
  /**
   * Writes the graph with its weights as external data into a temporary folder (one tensor in
   * memory at a time, no 2 GB protobuf limit), creates the session from that path, removes the folder.
   */
  createSessionFromModel(model: OnnxModel, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
  /** A graph given as bytes plus external data files (paths relative to it), written to a temporary folder first. */
  createSessionWithExternalData(model: Uint8Array, externalData: { path: string; data: Uint8Array }[], options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
  /** Execution providers this build of onnxruntime-node ships (cuda needs its install script's libraries). */
  providers: string[];
  /** Logical CPU cores, for the report. */
  cpuThreads: number;
}

let nativeOrt: NativeOrt | null = null;

/** Called by ./native-ort.ts (Node only): makes 'cpu'/'cuda' sessions possible. */
export function registerNativeOrt(api: NativeOrt): void {
  nativeOrt = api;
}

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
  features?: { has(name: string): boolean };
}

/**
 * A native backend (onnxruntime-node): 'cpu' always; 'cuda' only when its provider library loads
 * (checked with a one-node session), else a `backend-unavailable` error saying why.
 */
export async function detectNativeBackend(backend: NativeBackend): Promise<BackendInfo> {
  if (!nativeOrt) throw new LabError('backend-unavailable', `the ${backend} backend needs onnxruntime-node, which runs under Node only (the CLI); in a browser use webgpu or wasm`);
  if (backend !== 'cpu') {
    try {
      const probe = await nativeOrt.InferenceSession.create(probeModel(), { executionProviders: [backend], logSeverityLevel: 4 });
      await probe.release();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new LabError(
        'backend-unavailable',
        `onnxruntime-node cannot use ${backend} on this machine (${message.split('\n')[0]}); its ${backend} libraries come from onnxruntime-node's install script (npm install --foreground-scripts onnxruntime-node with network access), or use --backend cpu`,
        { backend, providers: nativeOrt.providers },
      );
    }
  }
  return { backend, adapter: null, isSoftwareAdapter: false, fallbackReason: null, threads: nativeOrt.cpuThreads, ...precisionFor({ backend }) };
}

/** A one-node ONNX model (Identity on a float input) for probing an execution provider. */
function probeModel(): Uint8Array {
  const io = (name: string) => ({ name, elemType: TensorType.float, dims: [1] });
  return encodeOnnxModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    producerName: 'prunelab',
    graphName: 'probe',
    nodes: [{ opType: 'Identity', name: 'id', inputs: ['x'], outputs: ['y'] }],
    initializers: [],
    inputs: [io('x')],
    outputs: [io('y')],
  });
}

export async function detectBackend(preferWebGpu: boolean): Promise<BackendInfo> {
  const wasm = (reason: string | null, adapter: BackendInfo['adapter'] = null, software = false): BackendInfo => ({
    backend: 'wasm',
    adapter,
    isSoftwareAdapter: software,
    fallbackReason: reason,
    threads: wasmThreads(),
    ...precisionFor({ backend: 'wasm' }),
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
  const shaderF16 = adapter.features?.has('shader-f16') === true;
  return {
    backend: 'webgpu',
    adapter: info,
    isSoftwareAdapter: adapter.isFallbackAdapter === true || isSoftwareAdapter(info),
    fallbackReason: null,
    threads: wasmThreads(),
    shaderF16,
    ...precisionFor({ backend: 'webgpu', shaderF16 }),
  };
}

/** "vendor architecture" of the adapter (what benchmark results name), null without one. */
export function adapterLabel(info: Pick<BackendInfo, 'adapter'>): string | null {
  return info.adapter ? `${info.adapter.vendor} ${info.adapter.architecture}`.trim() : null;
}

/** What the lab calls on a session (onnxruntime's InferenceSession, or one with device weights bound). */
export interface LabSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** `fetches`: the outputs to return, pre-allocated tensors bound as those outputs (null: allocated by onnxruntime). */
  run(feeds: ort.InferenceSession.FeedsType, fetches?: ort.InferenceSession.FetchesType): Promise<ort.InferenceSession.ReturnType>;
  release(): Promise<void>;
}

/** A session whose weight inputs are bound to device buffers: callers feed only the data inputs. */
class BoundSession implements LabSession {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly weights: Record<string, ort.Tensor>,
  ) {}
  get inputNames(): readonly string[] {
    return this.session.inputNames.filter((n) => !(n in this.weights));
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }
  run(feeds: ort.InferenceSession.FeedsType, fetches?: ort.InferenceSession.FetchesType): Promise<ort.InferenceSession.ReturnType> {
    return fetches ? this.session.run({ ...feeds, ...this.weights }, fetches) : this.session.run({ ...feeds, ...this.weights });
  }
  release(): Promise<void> {
    return this.session.release();
  }
}

/** A pool of device-resident weights for the sessions of one engine (WebGPU only); the device is awaited on first bind. */
export function createDeviceWeights(): DeviceWeights {
  return new DeviceWeights(webGpuDevice(), (buffer, dataType, dims) => ort.Tensor.fromGpuBuffer(buffer as unknown as ort.Tensor.GpuBufferType, { dataType, dims }));
}

export interface SessionOptions {
  backend: Backend;
  /** WebGPU: bind the graph's weights to this pool's device buffers instead of embedding them. */
  deviceWeights?: DeviceWeights;
  /** Native backends: load from this .onnx path (its external data files resolved beside it) instead of bytes. */
  modelPath?: string;
  /** Output names to keep on the GPU (webgpu only); the caller must dispose them. */
  gpuOutputs?: string[];
  externalData?: { path: string; data: Uint8Array }[];
  /** The dropped file this session runs (the import check's reference): failures name it. */
  sourceFile?: string;
}

/** onnxruntime's message without its build paths ('/onnxruntime_src/onnxruntime/core/graph/graph.cc:1234 ') and status prefix. */
export function cleanOrtMessage(message: string): string {
  return message
    .replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/g, '')
    .replace(/(?:\b[A-Za-z]:)?(?:[\\/][\w.+-]+)+\.(?:cc|cpp|h|hpp|c):\d+\s*(?:[\w:~<>]+\([^)]*\)\s*)?/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A session-creation failure as a LabError: the dropped file's name first when there is one. */
function sessionError(error: unknown, options: SessionOptions, runtime: string): LabError {
  if (error instanceof LabError) return error;
  const message = cleanOrtMessage(error instanceof Error ? error.message : String(error));
  const file = options.sourceFile;
  return new LabError(
    'runtime',
    file ? `${file}: ${runtime} could not load it on ${options.backend}: ${message}` : `${runtime} could not create a ${options.backend} session: ${message}`,
    file ? { path: file } : {},
  );
}

export async function createSession(model: Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  if (isNativeBackend(options.backend)) return createNativeSession(model, options);
  // WebGPU sessions all run on the lab's device (onnxruntime reads `device` from the EP options).
  if (options.backend === 'webgpu') throwIfDeviceLostDuringJob();
  const provider = options.backend === 'webgpu' ? ({ name: 'webgpu', device: await webGpuDevice() } as ort.InferenceSession.ExecutionProviderConfig) : options.backend;
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Errors only: onnxruntime's warnings (e.g. shape ops placed on the CPU) would reach the console as errors.
    logSeverityLevel: 3,
  };
  if (options.backend === 'webgpu' && options.gpuOutputs?.length) {
    opts.preferredOutputLocation = Object.fromEntries(options.gpuOutputs.map((n) => [n, 'gpu-buffer' as const]));
  }
  if (options.externalData) opts.externalData = options.externalData;
  try {
    return await ort.InferenceSession.create(model, opts);
  } catch (error) {
    throw sessionError(error, options, 'onnxruntime');
  }
}

/**
 * A session for a graph IR (lazy weights): native backends stream the weights to external data on
 * disk; WebGPU with `deviceWeights` binds them to device buffers (graph inputs, no weight bytes in the
 * protobuf); otherwise onnxruntime-web gets the encoded bytes (one protobuf copy through the wasm heap).
 */
export async function createSessionFromModel(model: OnnxModel, options: SessionOptions): Promise<LabSession> {
  if (options.backend === 'webgpu' && options.deviceWeights) {
    const bound = await options.deviceWeights.bind(model);
    return new BoundSession(await createSession(encodeOnnxModel(bound.model), options), bound.feeds);
  }
  if (!isNativeBackend(options.backend)) return createSession(encodeOnnxModel(model), options);
  return nativeSession(options, (api, opts) => api.createSessionFromModel(model, opts));
}

function createNativeSession(model: Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  return nativeSession(options, (api, opts) => {
    if (options.modelPath) return api.InferenceSession.create(options.modelPath, opts);
    if (options.externalData?.length) return api.createSessionWithExternalData(model, options.externalData, opts);
    return api.InferenceSession.create(model, opts);
  });
}

/** A native session made by `create` with the lab's options; failures become LabErrors naming the backend. */
async function nativeSession(
  options: SessionOptions,
  create: (api: NativeOrt, opts: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>,
): Promise<ort.InferenceSession> {
  if (!nativeOrt) throw new LabError('backend-unavailable', `the ${options.backend} backend needs onnxruntime-node (Node only)`);
  try {
    return await create(nativeOrt, { executionProviders: [options.backend], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } catch (error) {
    throw sessionError(error, options, 'native onnxruntime');
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
