// Weights held in the precision of their file, read lazily. A StoredWeight is a WeightTensor whose
// `data` (fp32) is decoded on EVERY access and not kept, so a model loaded from fp16 safetensors
// holds fp16 bytes (or, with a synchronous file reader, nothing until a tensor is used). Callers read
// `data` once per use (hot loops index a local). fp32 bytes in memory are returned as a view, free.
// Edits never touch it: pruning writes fresh tensors (copy-on-write, see pruning/apply-plan.ts). Pure.

import { bytesToFloat32 } from '../formats/dtype';
import { elementCount, type WeightTensor } from './model-spec';

export type StoredDtype = 'float32' | 'float16' | 'bfloat16';

/** Synchronous reads of one file's bytes (Node: fs.readSync; a browser worker: FileReaderSync). */
export type ReadSync = (offset: number, length: number) => Uint8Array;

export type WeightSource =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'file'; path: string; offset: number; length: number; readSync: ReadSync };

/** Counter for tests and benchmarks: bytes read from files for tensor data. */
export const weightReadStats = { fileBytesRead: 0 };

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
}

/** Bytes a weight keeps in memory: stored bytes for a StoredWeight, mask bits (plus its base) for a MaskedWeight, 4 per element otherwise. */
export function heldBytes(w: WeightTensor): number {
  if (w instanceof StoredWeight) return w.heldBytes;
  if (w instanceof MaskedWeight) return w.heldBytes + heldBytes(w.base);
  return elementCount(w) * 4;
}

/** Precision a weight is held in. */
export function storedDtype(w: WeightTensor): StoredDtype {
  if (w instanceof MaskedWeight) return storedDtype(w.base);
  return w instanceof StoredWeight ? w.dtype : 'float32';
}

/** A fresh fp32 copy of a weight's values (safe to mutate). */
export function copyOfData(w: WeightTensor): Float32Array {
  if (w instanceof StoredWeight && w.dtype !== 'float32') return w.data; // decoded afresh on each access
  if (w instanceof MaskedWeight) return w.data; // built afresh on each access
  return Float32Array.from(w.data);
}

/**
 * A weight with entries zeroed by a mask, without copying it: the base weight (stored, lazily read or
 * fp32) plus one bit per entry. This is how a mask-only pruning plan (magnitude, Wanda, N:M, OWL,
 * NeuroAL) edits a model copy-on-write: 1/32 of the fp32 bytes per pruned tensor.
 */
export class MaskedWeight implements WeightTensor {
  /** Bit i set = entry i is zero. */
  private readonly zeroBits: Uint8Array;
  readonly shape: number[];

  constructor(
    readonly base: WeightTensor,
    /** 1 = keep, 0 = zero, one byte per entry (as plans carry masks). */
    keep: Uint8Array,
  ) {
    this.shape = base.shape.slice();
    this.zeroBits = new Uint8Array(Math.ceil(keep.length / 8));
    for (let i = 0; i < keep.length; i++) if (keep[i] === 0) this.zeroBits[i >> 3] |= 1 << (i & 7);
  }

  /** fp32 values with the mask applied, built on each access. Do not mutate. */
  get data(): Float32Array {
    const out = copyOfData(this.base);
    const bits = this.zeroBits;
    for (let byte = 0; byte < bits.length; byte++) {
      const b = bits[byte];
      if (b === 0) continue;
      for (let k = 0; k < 8; k++) if (b & (1 << k)) out[(byte << 3) + k] = 0;
    }
    return out;
  }

  get heldBytes(): number {
    return this.zeroBits.byteLength;
  }
}
