// The lab's one GPUDevice: requested once, shared by every WebGPU session (onnxruntime's WebGPU EP gets it
// per session) and by the device weight pools. A lost device (driver reset, device.destroy()) is noticed
// here: the generation counter moves on, the job that was running fails with 'device-lost', and the next
// call requests a new device, so engines built on the old one rebuild their sessions. Buffers created on
// the device are counted (live count and bytes) so tests can check that cancelled jobs release them.

import { LabError } from '../errors';
import { measureReadBandwidth, type BandwidthResult } from './bandwidth-probe';
import type { GpuBufferLike, GpuDeviceLike } from './device-weights';

interface LostInfo {
  reason: string;
  message: string;
}
type LabDevice = GpuDeviceLike & { lost: Promise<LostInfo>; destroy(): void };

interface GpuLike {
  requestAdapter(): Promise<{
    limits: Record<string, number>;
    features: { has(name: string): boolean };
    requestDevice(descriptor: { requiredLimits: Record<string, number>; requiredFeatures: string[] }): Promise<LabDevice>;
  } | null>;
}

/** Adapter limits the lab's device asks for (the adapter's maxima, as onnxruntime asks for its own device). */
const DEVICE_LIMITS = [
  'maxBindGroups',
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
];
const DEVICE_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

let current: Promise<LabDevice> | null = null;
let generation = 0;
let lastLoss: LostInfo | null = null;
/** Runs in flight (raceDeviceLoss): each is failed at once when the device is lost, so a lost device never hangs a job. */
const inFlight = new Set<(error: LabError) => void>();
const buffers = { live: 0, liveBytes: 0, created: 0, peakBytes: 0 };

/** Counts every buffer made on `device` until it is destroyed (ours and onnxruntime's alike). */
function countBuffers(device: LabDevice): void {
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor) => {
    const buffer = create(descriptor);
    const destroy = buffer.destroy.bind(buffer);
    let alive = true;
    buffers.live++;
    buffers.created++;
    buffers.liveBytes += buffer.size;
    buffers.peakBytes = Math.max(buffers.peakBytes, buffers.liveBytes);
    (buffer as GpuBufferLike).destroy = () => {
      if (alive) {
        alive = false;
        buffers.live--;
        buffers.liveBytes -= buffer.size;
      }
      destroy();
    };
    return buffer;
  };
}

/** The lab's device, requested on first use and again after a loss. */
export function webGpuDevice(): Promise<GpuDeviceLike> {
  current ??= (async () => {
    const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) throw new LabError('backend-unavailable', 'WebGPU returned no adapter');
    const requiredLimits = Object.fromEntries(DEVICE_LIMITS.filter((k) => typeof adapter.limits[k] === 'number').map((k) => [k, adapter.limits[k]]));
    const requiredFeatures = DEVICE_FEATURES.filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    countBuffers(device);
    void device.lost.then((info) => {
      current = null;
      generation++;
      lastLoss = { reason: String(info?.reason ?? 'unknown'), message: String(info?.message ?? '') };
      buffers.live = 0;
      buffers.liveBytes = 0;
      for (const fail of inFlight) fail(deviceLostError());
      inFlight.clear();
    });
    return device;
  })().catch((error) => {
    current = null;
    throw error instanceof LabError ? error : new LabError('backend-unavailable', `WebGPU device request failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  return current;
}

/** The generation when the running job started (Lab marks its jobs), null between jobs. */
let jobStartGeneration: number | null = null;

/** A job starts: a device lost from now on fails it (a loss between jobs only means the next one rebuilds). */
export function startGpuJob(): void {
  jobStartGeneration = generation;
}

export function endGpuJob(): void {
  jobStartGeneration = null;
}

/** Fails GPU work asked for by a job that was running when the device was lost: the job stops instead of silently carrying on. */
export function throwIfDeviceLostDuringJob(): void {
  if (jobStartGeneration !== null && jobStartGeneration !== generation) throw deviceLostError();
}

/** Moves on each time the device is lost: work made on an older generation must be rebuilt. */
export function webGpuGeneration(): number {
  return generation;
}

/** `work` (GPU work on the current device), failed with 'device-lost' as soon as the device is lost. */
export function raceDeviceLoss<T>(work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    inFlight.add(reject);
    work.then(resolve, reject).finally(() => inFlight.delete(reject));
  });
}

/** The job that was running when the device went away fails with this; the next action starts a new device. */
export function deviceLostError(cause?: unknown): LabError {
  const why = lastLoss ? `${lastLoss.reason}${lastLoss.message ? `: ${lastLoss.message}` : ''}` : 'unknown';
  const detail = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
  return new LabError(
    'device-lost',
    `The GPU device was lost (${why}) while the job ran, so it stopped. Finished runs are kept; the next action starts the GPU again and rebuilds the model's sessions.`,
    { reason: lastLoss?.reason ?? null, cause: detail.slice(0, 500) },
  );
}

/** Live buffers on the current device (count and bytes), how many were ever made, and the most bytes alive at once since resetWebGpuPeak. */
export function webGpuBufferStats(): { live: number; liveBytes: number; created: number; peakBytes: number } {
  return { ...buffers };
}

/** Starts a new peak (a benchmark phase's peak GPU memory) at what is alive now. */
export function resetWebGpuPeak(): void {
  buffers.peakBytes = buffers.liveBytes;
}

/** The lab device's read bandwidth (runtime/bandwidth-probe), for the decode bound of bench/browser-speed. */
export async function webGpuReadBandwidth(probe: Parameters<typeof measureReadBandwidth>[1] = {}): Promise<BandwidthResult> {
  return measureReadBandwidth((await webGpuDevice()) as unknown as Parameters<typeof measureReadBandwidth>[0], probe);
}

/** Test hook (the worker exposes it to e2e tests): destroys the current device, as a driver reset would lose it. */
export async function destroyWebGpuDevice(): Promise<boolean> {
  if (!current) return false;
  const device = await current.catch(() => null);
  device?.destroy();
  return device !== null;
}
