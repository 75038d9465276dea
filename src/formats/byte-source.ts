// Random access to a dropped file in slices (Blob.slice().arrayBuffer()), so big weights are never
// read whole. Pure: no runtime, no store, no React.

import { LabError } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';

export interface ByteSource {
  /** Path of the file as dropped, used in every error message. */
  readonly path: string;
  readonly size: number;
  /** Reads [offset, offset+length); throws 'truncated' if the file ends first. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function byteSourceFromFile(file: ModelFileRef): ByteSource {
  const { path, blob } = file;
  return {
    path,
    size: blob.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      // A fraction or NaN would reach Blob.slice, which aborts Node natively: refuse it here, whatever the caller.
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) {
        throw new LabError('corrupt', `${path}: corrupt: asked to read ${String(length)} bytes at offset ${String(offset)}, which are not whole byte counts`, { path, offset, length });
      }
      if (offset < 0 || length < 0 || offset + length > blob.size) {
        throw new LabError(
          'truncated',
          `${path}: truncated: needs bytes ${offset}..${offset + length} but the file has ${blob.size}`,
          { path, offset, length, size: blob.size },
        );
      }
      if (length === 0) return new Uint8Array(0);
      try {
        return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      } catch (error) {
        throw unreadable(path, error);
      }
    },
  };
}

/**
 * Synchronous reads of a file, when the platform has them: the ref's own `readSync` (Node), else
 * FileReaderSync on Blob slices (browser workers). Null on a browser main thread or for plain Blobs in Node.
 */
export function syncReaderOf(file: ModelFileRef): ((offset: number, length: number) => Uint8Array) | null {
  const Reader = (globalThis as { FileReaderSync?: new () => { readAsArrayBuffer(b: Blob): ArrayBuffer } }).FileReaderSync;
  const { blob, path } = file;
  const read = file.readSync ?? (Reader ? (offset: number, length: number) => new Uint8Array(new Reader().readAsArrayBuffer(blob.slice(offset, offset + length))) : null);
  if (!read) return null;
  return (offset, length) => {
    let bytes: Uint8Array;
    try {
      bytes = read(offset, length);
    } catch (error) {
      if (error instanceof LabError) throw error;
      throw unreadable(path, error);
    }
    if (bytes.byteLength !== length) throw unreadable(path, new Error(`got ${bytes.byteLength} of ${length} bytes`));
    return bytes;
  };
}

/** A dropped file that cannot be read any more: weights are read when used, so the file must stay. */
function unreadable(path: string, cause: unknown): LabError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new LabError(
    'missing-file',
    `${path}: can no longer be read (${why}); it was moved, changed or deleted after it was dropped. The lab reads weights when it uses them: drop the model folder again`,
    { path },
  );
}

/**
 * A read-ahead window over a ByteSource: many small reads (protobuf headers, nodes) become one
 * Blob read per window. Returned views share the window's buffer (zero-copy).
 */
export class WindowedReader {
  private windowStart = 0;
  private window: Uint8Array = new Uint8Array(0);

  constructor(
    readonly source: ByteSource,
    private readonly windowBytes = 4 << 20,
  ) {}

  /** Bytes [offset, offset+length), clipped to the file end (callers check the length). */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.source.size);
    if (offset >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.subarray(offset - this.windowStart, end - this.windowStart);
    }
    if (end - offset > this.windowBytes) return this.source.read(offset, end - offset);
    const windowEnd = Math.min(this.source.size, offset + this.windowBytes);
    this.window = await this.source.read(offset, windowEnd - offset);
    this.windowStart = offset;
    return this.window.subarray(0, end - offset);
  }
}
