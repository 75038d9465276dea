// What the runtime allows a job to use (see ./memory-plan.ts): on WebGPU the adapter's buffer limits
// (device memory is not reported by WebGPU), on WASM the wasm32 heap (4 GiB), on the native runtime
// (onnxruntime-node: any backend other than webgpu/wasm) the machine's free memory, passed in by the
// caller (os.freemem/totalmem are never imported here). No onnxruntime import.

import { LabError } from '../errors';
import { formatMemory } from './memory-plan';

export type MemoryLimitKind = 'webgpu' | 'wasm' | 'native';

export interface MemoryLimits {
  kind: MemoryLimitKind;
  /** Bytes a job may use in all; null when unknown (WebGPU does not report device memory). */
  totalBytes: number | null;
  /** WebGPU adapter maxBufferSize: no single buffer can be larger. */
  maxBufferBytes?: number;
  /** WebGPU adapter maxStorageBufferBindingSize: no single tensor bound to a kernel can be larger. */
  maxBindingBytes?: number;
  /** Which limit this is, for messages: 'the wasm32 heap (4 GiB)', 'free memory (…)', … */
  source: string;
  /** The backend it was made for ('webgpu', 'wasm', 'cpu', 'cuda'). */
  backend?: string;
}

/** wasm32 addresses 4 GiB; onnxruntime-web's heap can grow to it and never shrinks. */
export const WASM32_HEAP_BYTES = 4 * 1024 ** 3;

export interface SystemMemory {
  freeBytes: number;
  totalBytes: number;
}

export interface WebGpuAdapterLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export function limitKindOf(backend: string): MemoryLimitKind {
  return backend === 'webgpu' ? 'webgpu' : backend === 'wasm' ? 'wasm' : 'native';
}

/**
 * The wasm32 heap less `inUseBytes` held outside the job's own estimate (the lab counts its
 * sessions' weight copies in the estimate, so it passes 0).
 */
export function wasmLimits(inUseBytes = 0): MemoryLimits {
  return { kind: 'wasm', totalBytes: Math.max(0, WASM32_HEAP_BYTES - inUseBytes), source: 'the wasm32 heap (4 GiB)', backend: 'wasm' };
}

/**
 * Free memory plus `heldBytes` (what the lab's live sessions already hold, since a job's estimate
 * counts them again), at most the machine's total.
 */
export function nativeLimits(memory: SystemMemory, heldBytes = 0, backend = 'cpu'): MemoryLimits {
  const total = Math.min(memory.totalBytes, memory.freeBytes + heldBytes);
  const held = heldBytes > 0 ? ` + ${formatMemory(heldBytes)} the lab's sessions hold` : '';
  return {
    kind: 'native',
    totalBytes: total,
    source: `free memory (${formatMemory(memory.freeBytes)} free of ${formatMemory(memory.totalBytes)}${held})`,
    backend,
  };
}

export function webGpuLimits(adapter: WebGpuAdapterLimits | null): MemoryLimits {
  if (!adapter) return { kind: 'webgpu', totalBytes: null, source: 'WebGPU (adapter limits unknown; device memory is not reported)', backend: 'webgpu' };
  return {
    kind: 'webgpu',
    totalBytes: null,
    maxBufferBytes: adapter.maxBufferSize,
    maxBindingBytes: adapter.maxStorageBufferBindingSize,
    source: `the WebGPU adapter (maxBufferSize ${formatMemory(adapter.maxBufferSize)}, maxStorageBufferBindingSize ${formatMemory(adapter.maxStorageBufferBindingSize)}; device memory is not reported)`,
    backend: 'webgpu',
  };
}

/** A smaller of two limits on the total (e.g. wasm32 in Node, also bounded by the machine's free memory). */
export function tighterTotal(limits: MemoryLimits, other: { totalBytes: number | null; source: string }): MemoryLimits {
  if (other.totalBytes === null || (limits.totalBytes !== null && limits.totalBytes <= other.totalBytes)) return limits;
  return { ...limits, totalBytes: other.totalBytes, source: other.source };
}

/** Lowers the total to the user's `memoryLimitBytes` (LabOptions; CLI --memory-limit-gb) when that is smaller. */
export function withUserLimit(limits: MemoryLimits, memoryLimitBytes: number | undefined): MemoryLimits {
  if (memoryLimitBytes === undefined) return limits;
  if (!(memoryLimitBytes > 0) || !Number.isFinite(memoryLimitBytes))
    throw new LabError('bad-argument', `memoryLimitBytes must be a positive number of bytes, got ${memoryLimitBytes}`);
  return tighterTotal(limits, { totalBytes: memoryLimitBytes, source: 'memoryLimitBytes (CLI --memory-limit-gb)' });
}

interface GpuLike {
  requestAdapter(): Promise<{ limits?: Partial<WebGpuAdapterLimits> } | null>;
}

/** navigator.gpu.requestAdapter().limits (browser or worker); null without WebGPU or an adapter. */
export async function readWebGpuAdapterLimits(gpu?: GpuLike): Promise<WebGpuAdapterLimits | null> {
  const api = gpu ?? (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
  if (!api) return null;
  try {
    const limits = (await api.requestAdapter())?.limits;
    if (!limits || typeof limits.maxBufferSize !== 'number' || typeof limits.maxStorageBufferBindingSize !== 'number') return null;
    return { maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize };
  } catch {
    return null;
  }
}

// ---- session creation in onnxruntime-web (webgpu, wasm) -------------------------------------------
// onnxruntime-web gets the graph as ONE ModelProto with every weight embedded (runtime/ort.ts
// createSessionFromModel), copies it into its wasm32 heap and parses it there. So (1) the graph must fit
// in one protobuf message, and (2) the heap must hold, at once, the protobuf, onnxruntime's parsed copy of
// the weights and transient copies of the largest tensor — on WebGPU too: the weights pass through the
// heap on their way to GPU buffers. The native runtime (CLI, onnxruntime-node) gets external data instead.

/** protobuf's hard limit on one serialized message (2 GiB). */
export const PROTOBUF_LIMIT_BYTES = 2 ** 31;

/**
 * Copies of the largest weight tensor (the embedding, also the tied lm_head) the heap holds while a
 * session is created, on top of the protobuf and onnxruntime's copy of it. Fitted to the wasm heap
 * measured in Chromium 156 on WebGPU (bench/browser-memory.ts, fp32): SmolLM2-135M-shaped 1.33–1.43 GB
 * (2 × 0.54 GB graph + 2.2–2.9 × 113 MB), 360M-shaped 3.30–3.40 GB (2 × 1.45 GB + 2.1–2.6 × 189 MB),
 * Qwen2.5-0.5B-shaped std::bad_alloc past 4.0 GB (2 × 1.99 GB + 2.5 × 545 MB = 5.35 GB).
 */
export const SESSION_LARGEST_TENSOR_COPIES = 2.5;

export interface WebSessionNeeds {
  /** Bytes of the graph's initializers as encoded (weights at the held precision, RoPE tables). */
  graphBytes: number;
  /** The precision the weights are held at ('fp32', 'fp16'). */
  precision: string;
  largestTensorBytes: number;
  /** What it is, e.g. 'embedding [151936, 896]'. */
  largestTensor: string;
  /** Weights of other sessions alive in the same heap (wasm EP; on WebGPU they live in GPU buffers). */
  otherSessionsBytes?: number;
}

/** The wasm heap a session creation needs: the protobuf, onnxruntime's copy, the largest tensor's copies, other sessions. */
export function webSessionHeapBytes(n: WebSessionNeeds): number {
  return 2 * n.graphBytes + SESSION_LARGEST_TENSOR_COPIES * n.largestTensorBytes + (n.otherSessionsBytes ?? 0);
}

/** Which limit an onnxruntime-web session creation is over, or null when it fits. */
export function exceededWebSessionLimit(n: WebSessionNeeds): { limit: 'protobuf' | 'wasm-heap'; limitBytes: number; neededBytes: number } | null {
  if (n.graphBytes >= PROTOBUF_LIMIT_BYTES) return { limit: 'protobuf', limitBytes: PROTOBUF_LIMIT_BYTES, neededBytes: n.graphBytes };
  const heap = webSessionHeapBytes(n);
  if (heap > WASM32_HEAP_BYTES) return { limit: 'wasm-heap', limitBytes: WASM32_HEAP_BYTES, neededBytes: heap };
  return null;
}

/**
 * Throws LabError('insufficient-memory') when onnxruntime-web cannot create the session: the graph over
 * protobuf's 2 GiB, or the session creation over the 4 GiB wasm32 heap (whatever the GPU holds).
 */
export function checkWebSessionFits(n: WebSessionNeeds, context: { label: string; backend: string; suggestions?: () => string[] }): void {
  const over = exceededWebSessionLimit(n);
  if (!over) return;
  const f = formatMemory;
  const graph = `onnxruntime-web (${context.backend}) gets the model as one protobuf with its weights embedded: ${f(n.graphBytes)} (${n.precision})`;
  const others = n.otherSessionsBytes ? ` + ${f(n.otherSessionsBytes)} of other sessions` : '';
  const head =
    over.limit === 'protobuf'
      ? `Not enough memory for ${context.label}: ${graph}; protobuf holds at most ${f(PROTOBUF_LIMIT_BYTES)} (2 GiB).`
      : `Not enough memory for ${context.label}: ${graph}, copied into the wasm32 heap to create the session. Needed there: protobuf ${f(n.graphBytes)} + onnxruntime's copy of it ${f(n.graphBytes)} + ${SESSION_LARGEST_TENSOR_COPIES} × the largest tensor, ${n.largestTensor}, ${f(n.largestTensorBytes)}${others} = ${f(over.neededBytes)}; allowed: ${f(WASM32_HEAP_BYTES)} by the wasm32 heap (4 GiB), whatever the GPU holds.`;
  const suggestions = context.suggestions?.() ?? [];
  throw new LabError('insufficient-memory', suggestions.length ? `${head} Try ${suggestions.join('; or ')}.` : head, {
    job: context.label,
    graphBytes: n.graphBytes,
    precision: n.precision,
    largestTensor: n.largestTensor,
    largestTensorBytes: n.largestTensorBytes,
    otherSessionsBytes: n.otherSessionsBytes ?? 0,
    heapNeededBytes: webSessionHeapBytes(n),
    limit: over.limit,
    limitBytes: over.limitBytes,
    neededBytes: over.neededBytes,
    limitKind: limitKindOf(context.backend),
    suggestions,
  });
}
