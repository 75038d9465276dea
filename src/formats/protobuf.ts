// A minimal protobuf wire-format decoder (varint, fixed32/64, length-delimited), enough for ONNX.
// Throws ProtoError (never a RangeError) so callers can turn it into a LabError naming the file.

export class ProtoError extends Error {
  constructor(
    message: string,
    /** True when a length runs past the end of the whole buffer (the file may be cut short). */
    readonly pastEnd: boolean,
  ) {
    super(message);
  }
}

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export interface FieldHeader {
  field: number;
  wireType: number;
}

/** Reads fields from bytes[pos, end). `pastEndIsTruncation` marks the outermost reader. */
export class ProtoReader {
  pos: number;
  readonly end: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
    private readonly atFileEnd = true,
  ) {
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Only running past the end of the outermost buffer can be truncation; anything else is structural. */
  private fail(message: string, pastEnd = false): never {
    throw new ProtoError(`${message} at byte ${this.pos}`, pastEnd && this.atFileEnd);
  }

  /** Varint as a JS number; int64 values beyond 2^53 lose precision, negatives are decoded as int64. */
  varint(): number {
    let low = 0;
    let high = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('varint runs past the end', true);
      const b = this.bytes[this.pos++];
      if (shift < 28) low |= (b & 0x7f) << shift;
      else if (shift === 28) {
        low |= (b & 0x0f) << 28;
        high |= (b & 0x7f) >> 4;
      } else high |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if ((b & 0x80) === 0) {
        return (high | 0) * 4294967296 + (low >>> 0);
      }
    }
    return this.fail('varint longer than 10 bytes');
  }

  tag(): FieldHeader {
    const t = this.varint();
    const field = Math.floor(t / 8);
    const wireType = t & 7;
    if (field === 0) this.fail('field number 0');
    if (wireType !== 0 && wireType !== 1 && wireType !== 2 && wireType !== 5) this.fail(`wire type ${wireType}`);
    return { field, wireType };
  }

  /** Length-delimited payload as a zero-copy view. */
  bytesField(): Uint8Array {
    const len = this.varint();
    if (len > this.end - this.pos) {
      throw new ProtoError(`a field of ${len} bytes runs past the end (${this.end - this.pos} left) at byte ${this.pos}`, this.atFileEnd);
    }
    const view = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return view;
  }

  /** A reader over an embedded message; overruns inside it are structural (corrupt), not truncation. */
  message(): ProtoReader {
    const view = this.bytesField();
    return new ProtoReader(view, 0, view.length, false);
  }

  string(): string {
    return new TextDecoder().decode(this.bytesField());
  }

  float32(): number {
    if (this.end - this.pos < 4) this.fail('fixed32 runs past the end', true);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wireType: number): void {
    if (wireType === WireType.varint) this.varint();
    else if (wireType === WireType.bytes) this.bytesField();
    else {
      const n = wireType === WireType.fixed64 ? 8 : 4;
      if (this.end - this.pos < n) this.fail('fixed field runs past the end', true);
      this.pos += n;
    }
  }

  /** Repeated varints, packed or not (protobuf writers may use either). */
  varints(wireType: number, out: number[]): void {
    if (wireType !== WireType.bytes) {
      out.push(this.varint());
      return;
    }
    const inner = this.message();
    while (!inner.done()) out.push(inner.varint());
  }

  /** Repeated floats, packed or not. */
  floats(wireType: number, out: number[]): void {
    if (wireType !== WireType.bytes) {
      out.push(this.float32());
      return;
    }
    const inner = this.message();
    while (!inner.done()) out.push(inner.float32());
  }
}
