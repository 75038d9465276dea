// Weights held in the precision of their file, read lazily. A StoredWeight is a WeightTensor whose
// `data` (fp32) is decoded on EVERY access and not kept, so a model loaded from fp16 safetensors
// holds fp16 bytes (or, with a synchronous file reader, nothing until a tensor is used). Callers read
// `data` once per use (hot loops index a local). fp32 bytes in memory are returned as a view, free.
// Edits never touch it: pruning writes fresh tensors (copy-on-write, see pruning/apply-plan.ts). Pure.

import { bytesToFloat32 } from '../formats/dtype';
import type { WeightTensor } from './model-spec';

export type StoredDtype = 'float32' | 'float16' | 'bfloat16';

/** Synchronous reads of one file's bytes (Node: fs.readSync; a browser worker: FileReaderSync). */
export type ReadSync = (offset: number, length: number) => Uint8Array;

export type WeightSource =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'file'; path: string; offset: number; length: number; readSync: ReadSync };

/** Counters for tests and benchmarks: bytes read from files for tensor data, and decodes. */
export const weightReadStats = { fileBytesRead: 0, decodes: 0 };

export class StoredWeight implements WeightTensor {
  /** fp32 bytes held in memory, as an aligned array (returned as is). */
  private readonly f32: Float32Array | null = null;

  constructor(
    readonly shape: number[],
    readonly dtype: StoredDtype,
    private readonly source: WeightSource,
  ) {
    if (dtype === 'float32' && source.kind === 'bytes') this.f32 = bytesToFloat32(source.bytes, 'float32');
  }

  /** fp32 values: decoded (or read from the file) on each access, not kept. Do not mutate. */
  get data(): Float32Array {
    if (this.f32) return this.f32;
    weightReadStats.decodes++;
    return bytesToFloat32(this.rawBytes(), this.dtype);
  }

  /** The stored bytes in `dtype` (little-endian), read from the file when not held. */
  rawBytes(): Uint8Array {
    if (this.f32) return new Uint8Array(this.f32.buffer, this.f32.byteOffset, this.f32.byteLength);
    if (this.source.kind === 'bytes') return this.source.bytes;
    const { readSync, offset, length } = this.source;
    weightReadStats.fileBytesRead += length;
    return readSync(offset, length);
  }

  /** Bytes this tensor keeps in memory (0 when read from its file on demand). */
  get heldBytes(): number {
    return this.f32 ? this.f32.byteLength : this.source.kind === 'bytes' ? this.source.bytes.byteLength : 0;
  }

  get elementCount(): number {
    return this.shape.reduce((n, d) => n * d, 1);
  }
}

/** Elements of a weight from its shape (never decodes a stored weight). */
export function elementCount(w: WeightTensor): number {
  return w.shape.reduce((n, d) => n * d, 1);
}

/** Bytes a weight keeps in memory: stored bytes for a StoredWeight, 4 per element otherwise. */
export function heldBytes(w: WeightTensor): number {
  return w instanceof StoredWeight ? w.heldBytes : elementCount(w) * 4;
}

/** Precision a weight is held in. */
export function storedDtype(w: WeightTensor): StoredDtype {
  return w instanceof StoredWeight ? w.dtype : 'float32';
}
