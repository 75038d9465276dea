// Weights resident on the WebGPU device, one copy shared by every session of an engine. A graph's
// large initializers become graph INPUTS bound to GPU buffers (Tensor.fromGpuBuffer), so the session's
// protobuf holds no weights, nothing passes through the wasm heap, and the logits, nll and decode
// sessions read the same buffers. Weights larger than one binding are split first
// (graph/split-weights). Uploads one tensor at a time from the lazy initializers.

import { LabError } from '../errors';
import { splitOversizedWeights, UnsplittableWeightError } from '../graph/split-weights';
import { tensorByteLength, tensorBytes, TensorType, type OnnxModel, type OnnxTensor } from '../graph/onnx-writer';
import type { ort } from './ort';

/** Initializers from this size up live on the device (every weight matrix; not norms or constants). */
export const MIN_DEVICE_WEIGHT_BYTES = 64 * 1024;
/** Bytes per queue.writeBuffer call while uploading. */
const UPLOAD_CHUNK_BYTES = 64 * 1024 * 1024;

/** The parts of a WebGPU device the lab uses (no @webgpu/types dependency). */
export interface GpuDeviceLike {
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  createBuffer(descriptor: { size: number; usage: number; label?: string }): GpuBufferLike;
  queue: { writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBufferView, dataOffset?: number, size?: number): void };
}
export interface GpuBufferLike {
  size: number;
  destroy(): void;
}

// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST
const STORAGE_COPY = 0x80 | 0x04 | 0x08;

interface Resident {
  dataType: number;
  dims: number[];
  buffer: GpuBufferLike;
  tensor: ort.Tensor;
}

type TensorFactory = (buffer: GpuBufferLike, dataType: 'float32' | 'float16', dims: number[]) => ort.Tensor;

export class DeviceWeights {
  private readonly resident = new Map<string, Resident>();
  /** Bytes of weights uploaded and held on the device. */
  bytesHeld = 0;
  /** Bytes uploaded over this pool's life (a weight is uploaded once, whatever the sessions). */
  bytesUploaded = 0;

  private readonly device: Promise<GpuDeviceLike>;

  /** `device` may still be on its way: the pool is made at once, the device is awaited when binding. */
  constructor(
    device: GpuDeviceLike | Promise<GpuDeviceLike>,
    private readonly tensorFromBuffer: TensorFactory,
  ) {
    this.device = Promise.resolve(device);
    this.device.catch(() => {}); // a failed request surfaces from bind(), not as an unhandled rejection
  }

  /**
   * The model with its large float initializers turned into inputs (split to fit a binding), and the
   * feeds binding them to device buffers (uploaded on first use, shared with the pool's other graphs).
   * Initializer names must mean the same tensor in every graph bound to one pool (one engine: one spec,
   * one fold and precision setting).
   */
  async bind(model: OnnxModel): Promise<{ model: OnnxModel; feeds: Record<string, ort.Tensor> }> {
    const device = await this.device;
    // The largest tensor one kernel can bind on this device.
    const maxTensorBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    let split: OnnxModel;
    try {
      split = splitOversizedWeights(model, maxTensorBytes);
    } catch (error) {
      if (!(error instanceof UnsplittableWeightError)) throw error;
      throw new LabError('insufficient-memory', `a weight does not fit one WebGPU binding (${maxTensorBytes} bytes): ${error.message}`);
    }
    const feeds: Record<string, ort.Tensor> = {};
    const initializers: OnnxTensor[] = [];
    const inputs = [...split.inputs];
    for (const t of split.initializers) {
      if (!onDevice(t)) {
        initializers.push(t);
        continue;
      }
      feeds[t.name] = this.upload(device, t).tensor;
      inputs.push({ name: t.name, elemType: t.dataType, dims: t.dims });
    }
    return { model: { ...split, initializers, inputs }, feeds };
  }

  private upload(device: GpuDeviceLike, t: OnnxTensor): Resident {
    const known = this.resident.get(t.name);
    if (known) {
      if (known.dataType !== t.dataType || known.dims.join() !== t.dims.join())
        throw new LabError('internal', `device weight ${t.name} is [${known.dims}] type ${known.dataType} in one graph and [${t.dims}] type ${t.dataType} in another`);
      return known;
    }
    const byteLength = tensorByteLength(t);
    let buffer: GpuBufferLike;
    try {
      buffer = device.createBuffer({ size: Math.ceil(byteLength / 16) * 16, usage: STORAGE_COPY, label: t.name });
    } catch (error) {
      throw new LabError('insufficient-memory', `the WebGPU device could not allocate ${t.name} (${byteLength} bytes): ${error instanceof Error ? error.message : String(error)}`);
    }
    const bytes = tensorBytes(t.data); // materialised once, dropped after the copy
    if (bytes.byteLength !== byteLength) throw new LabError('internal', `${t.name}: ${bytes.byteLength} bytes, expected ${byteLength}`);
    for (let offset = 0; offset < byteLength; offset += UPLOAD_CHUNK_BYTES) {
      const size = Math.min(UPLOAD_CHUNK_BYTES, byteLength - offset);
      device.queue.writeBuffer(buffer, offset, bytes, offset, size);
    }
    const resident: Resident = {
      dataType: t.dataType,
      dims: [...t.dims],
      buffer,
      tensor: this.tensorFromBuffer(buffer, t.dataType === TensorType.float16 ? 'float16' : 'float32', t.dims),
    };
    this.resident.set(t.name, resident);
    this.bytesHeld += byteLength;
    this.bytesUploaded += byteLength;
    return resident;
  }

  /** Destroys every buffer (sessions bound to them must be released first). */
  dispose(): void {
    for (const r of this.resident.values()) r.buffer.destroy();
    this.resident.clear();
    this.bytesHeld = 0;
  }
}

function onDevice(t: OnnxTensor): boolean {
  return (t.dataType === TensorType.float || t.dataType === TensorType.float16) && tensorByteLength(t) >= MIN_DEVICE_WEIGHT_BYTES;
}
