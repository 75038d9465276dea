// The decode session's KV cache, in one of three forms the Engine feeds the same way:
// - growing: past and present are separate tensors, present = Concat(past, new) (graph kvCache 'growing');
//   on WebGPU each step allocates a longer buffer and copies the cache into it.
// - fixed on the device (WebGPU): per layer one key and one value GPU buffer [1, kvHeads, capacity, headDim],
//   fed as past AND bound as the present output, so GroupQueryAttention (graph kvCache 'fixed') writes the
//   new positions in place: nothing is allocated or copied per step. The capacity doubles (up to the
//   model's context) when a prompt needs more: one copy then, none per token.
// - fixed on the host (wasm, native): the same graph with capacity-sized CPU tensors; present comes back
//   as a new tensor of the capacity and becomes the next past (what the fixed graph computes, tested in Node).

import { LabError } from '../errors';
import type { ModelSpec } from '../model/model-spec';
import type { GpuBufferLike, GpuDeviceLike } from './device-weights';
import { kvCacheBytes } from './memory-plan';
import { float32Tensor, ort } from './ort';

/** The smallest capacity a fixed cache starts with (tokens); it doubles from there as needed. */
export const MIN_KV_CAPACITY = 256;

export interface KvCache {
  /** Tokens held. */
  readonly length: number;
  /** Tokens the buffers hold room for (growing: the length). */
  readonly capacity: number;
  /** Bytes of the cache buffers now allocated (both key and value, every layer). */
  readonly bytesAllocated: number;
  /** Makes room for `total` tokens now, keeping what is held (fixed caches; growing ones grow per run anyway). */
  reserve(total: number): Promise<void>;
  /** Feeds for past_key_values.* with room for `total` tokens, and the outputs to bind (fixed on the device). */
  prepare(total: number): Promise<{ feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> | null }>;
  /** The run finished with `total` tokens held; `outputs` are its present.* values. */
  commit(outputs: ort.InferenceSession.OnnxValueMapType, total: number): void;
  /** Forgets the tokens (a fixed cache keeps its buffers for the next prompt). */
  reset(): void;
  /** Frees every buffer. */
  dispose(): void;
}

interface LayerShape {
  numKvHeads: number;
  headDim: number;
}

const names = (layers: LayerShape[]) => layers.flatMap((_, i) => ['key', 'value'].map((kv) => ({ i, kv, past: `past_key_values.${i}.${kv}`, present: `present.${i}.${kv}` })));

/** past_key_values.* holding no tokens: a prompt's first run on the growing cache, and the cache-free logits run. */
export function emptyPastFeeds(layers: LayerShape[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const { i, past } of names(layers)) feeds[past] = float32Tensor(new Float32Array(0), [1, layers[i].numKvHeads, 0, layers[i].headDim]);
  return feeds;
}

/** Capacity for `total` tokens: a power of two from MIN_KV_CAPACITY, at most the context. */
export function kvCapacityFor(total: number, contextLength: number, current = 0): number {
  if (total > contextLength) throw new LabError('bad-argument', `${total} tokens exceed the model's context of ${contextLength}`);
  if (total <= current) return current;
  let capacity = Math.max(MIN_KV_CAPACITY, current);
  while (capacity < total) capacity *= 2;
  return Math.min(capacity, contextLength);
}

/** Present = Concat(past, new): past starts empty and grows one tensor per run. */
export class GrowingKvCache implements KvCache {
  private past: Record<string, ort.Tensor> | null = null;
  length = 0;

  constructor(private readonly layers: LayerShape[]) {}

  get capacity(): number {
    return this.length;
  }

  get bytesAllocated(): number {
    return kvCacheBytes(this.layers, this.length);
  }

  async reserve(): Promise<void> {}

  async prepare(): Promise<{ feeds: Record<string, ort.Tensor>; fetches: null }> {
    return { feeds: this.past ?? emptyPastFeeds(this.layers), fetches: null };
  }

  commit(outputs: ort.InferenceSession.OnnxValueMapType, total: number): void {
    const next: Record<string, ort.Tensor> = {};
    for (const { past, present } of names(this.layers)) next[past] = outputs[present] as ort.Tensor;
    this.reset();
    this.past = next;
    this.length = total;
  }

  reset(): void {
    if (this.past) for (const t of Object.values(this.past)) if (t.location === 'gpu-buffer') t.dispose();
    this.past = null;
    this.length = 0;
  }

  dispose(): void {
    this.reset();
  }
}

/** Capacity-sized CPU tensors (wasm, native): the fixed graph's semantics without shared device buffers. */
export class HostFixedKvCache implements KvCache {
  private past: Record<string, ort.Tensor> | null = null;
  length = 0;
  capacity = 0;

  constructor(
    private readonly layers: LayerShape[],
    private readonly contextLength: number,
  ) {}

  get bytesAllocated(): number {
    return kvCacheBytes(this.layers, this.capacity);
  }

  async reserve(total: number): Promise<void> {
    await this.prepare(total);
  }

  async prepare(total: number): Promise<{ feeds: Record<string, ort.Tensor>; fetches: null }> {
    const capacity = kvCapacityFor(total, this.contextLength, this.capacity);
    if (!this.past || capacity !== this.capacity) {
      const next: Record<string, ort.Tensor> = {};
      for (const { i, past } of names(this.layers)) {
        const { numKvHeads: KV, headDim: hd } = this.layers[i];
        const data = new Float32Array(KV * capacity * hd);
        const old = this.past?.[past];
        if (old) copyHeads(old.data as Float32Array, data, KV, this.capacity, capacity, this.length * hd, hd);
        next[past] = float32Tensor(data, [1, KV, capacity, hd]);
      }
      this.past = next;
      this.capacity = capacity;
    }
    return { feeds: this.past, fetches: null };
  }

  commit(outputs: ort.InferenceSession.OnnxValueMapType, total: number): void {
    const next: Record<string, ort.Tensor> = {};
    for (const { past, present } of names(this.layers)) next[past] = outputs[present] as ort.Tensor;
    this.past = next;
    this.length = total;
  }

  reset(): void {
    this.length = 0;
  }

  dispose(): void {
    this.past = null;
    this.capacity = 0;
    this.length = 0;
  }
}

/** Copies each head's first `used` floats from a [KV, fromCapacity, hd] array into a [KV, toCapacity, hd] one. */
function copyHeads(from: Float32Array, to: Float32Array, KV: number, fromCapacity: number, toCapacity: number, used: number, hd: number): void {
  for (let h = 0; h < KV; h++) to.set(from.subarray(h * fromCapacity * hd, h * fromCapacity * hd + used), h * toCapacity * hd);
}

/** What the device cache needs from a WebGPU device beyond what the weight pool uses. */
export interface KvDevice extends GpuDeviceLike {
  createCommandEncoder(): { copyBufferToBuffer(src: GpuBufferLike, srcOffset: number, dst: GpuBufferLike, dstOffset: number, size: number): void; finish(): unknown };
  queue: GpuDeviceLike['queue'] & { submit(commands: unknown[]): void };
  pushErrorScope(filter: 'out-of-memory'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST
const STORAGE_COPY = 0x80 | 0x04 | 0x08;

type TensorFromBuffer = (buffer: GpuBufferLike, dims: number[]) => ort.Tensor;

/** One key and one value buffer per layer on the device, fed as past and bound as present: written in place. */
export class DeviceFixedKvCache implements KvCache {
  private buffers: Map<string, { buffer: GpuBufferLike; tensor: ort.Tensor }> | null = null;
  length = 0;
  capacity = 0;

  constructor(
    private readonly layers: LayerShape[],
    private readonly contextLength: number,
    private readonly device: () => Promise<KvDevice>,
    private readonly tensorFromBuffer: TensorFromBuffer,
  ) {}

  get bytesAllocated(): number {
    return this.buffers ? [...this.buffers.values()].reduce((n, b) => n + b.buffer.size, 0) : 0;
  }

  async reserve(total: number): Promise<void> {
    const capacity = kvCapacityFor(total, this.contextLength, this.capacity);
    if (!this.buffers || capacity !== this.capacity) await this.allocate(capacity);
  }

  async prepare(total: number): Promise<{ feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> }> {
    await this.reserve(total);
    const feeds: Record<string, ort.Tensor> = {};
    const fetches: Record<string, ort.Tensor> = {};
    for (const { past, present } of names(this.layers)) {
      const { tensor } = this.buffers!.get(past)!;
      feeds[past] = tensor;
      fetches[present] = tensor;
    }
    return { feeds, fetches };
  }

  /** New buffers of `capacity`; the tokens held so far are copied over head by head (on the device). */
  private async allocate(capacity: number): Promise<void> {
    const device = await this.device();
    const next = new Map<string, { buffer: GpuBufferLike; tensor: ort.Tensor }>();
    const encoder = this.buffers && this.length > 0 ? device.createCommandEncoder() : null;
    // WebGPU does not throw when memory runs out: createBuffer returns an invalid buffer and the error scope says so.
    device.pushErrorScope('out-of-memory');
    let failure: unknown = null;
    try {
      for (const { i, past } of names(this.layers)) {
        const { numKvHeads: KV, headDim: hd } = this.layers[i];
        const buffer = device.createBuffer({ size: KV * capacity * hd * 4, usage: STORAGE_COPY, label: `prunelab kv ${past}` });
        next.set(past, { buffer, tensor: this.tensorFromBuffer(buffer, [1, KV, capacity, hd]) });
        const old = this.buffers?.get(past);
        if (encoder && old)
          for (let h = 0; h < KV; h++) encoder.copyBufferToBuffer(old.buffer, h * this.capacity * hd * 4, buffer, h * capacity * hd * 4, this.length * hd * 4);
      }
    } catch (error) {
      failure = error;
    }
    const outOfMemory = await device.popErrorScope();
    if (failure || outOfMemory) {
      for (const b of next.values()) b.buffer.destroy();
      if (failure) throw failure;
      const bytes = kvCacheBytes(this.layers, capacity);
      throw new LabError('insufficient-memory', `the GPU could not hold a KV cache of ${capacity} tokens (${(bytes / 2 ** 20).toFixed(1)} MiB): ${outOfMemory!.message}`, { bytes, capacity });
    }
    if (encoder) device.queue.submit([encoder.finish()]);
    this.destroyBuffers();
    this.buffers = next;
    this.capacity = capacity;
  }

  commit(_outputs: ort.InferenceSession.OnnxValueMapType, total: number): void {
    this.length = total; // present was written into the same buffers
  }

  reset(): void {
    this.length = 0;
  }

  private destroyBuffers(): void {
    // Destroying a buffer queued for a copy is safe: WebGPU destroys it after the submitted work.
    if (this.buffers) for (const { buffer } of this.buffers.values()) buffer.destroy();
    this.buffers = null;
  }

  dispose(): void {
    this.destroyBuffers();
    this.capacity = 0;
    this.length = 0;
  }
}

/** The per-layer cache shapes of `spec`. */
export function layerShapes(spec: ModelSpec): LayerShape[] {
  return spec.layers.map((l) => ({ numKvHeads: l.numKvHeads, headDim: l.headDim }));
}
