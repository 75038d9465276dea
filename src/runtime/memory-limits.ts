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
