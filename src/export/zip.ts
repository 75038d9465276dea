// A STORE (uncompressed) zip of exported files as a Blob built from parts (headers + the files' own
// Blobs + central directory), so a large model is never assembled into one buffer. ZIP64 records
// are used when sizes or offsets pass 4 GiB. Pure: Blob is the only platform API.

import { LabError } from '../errors';

export interface ZipInputFile {
  /** '/'-separated path inside the archive. */
  path: string;
  blob: Blob;
}

export interface ZipOptions {
  /** Time stamped on every entry (default now). */
  modified?: Date;
  /** 'auto' (default): ZIP64 only past 4 GiB / 65535 files; 'always' forces it (tests). */
  zip64?: 'auto' | 'always';
  /** Called after each file's CRC is computed, with bytes read so far / total. */
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 (IEEE, as zip uses) over `bytes`; start with crc = 0. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 of a Blob, read in 16 MiB slices (a large file is never read whole). */
export async function blobCrc32(blob: Blob, onBytes?: (n: number) => void): Promise<number> {
  const CHUNK = 16 * 1024 * 1024;
  let crc = 0;
  for (let at = 0; at < blob.size; at += CHUNK) {
    const bytes = new Uint8Array(await blob.slice(at, Math.min(blob.size, at + CHUNK)).arrayBuffer());
    crc = crc32(bytes, crc);
    onBytes?.(bytes.length);
  }
  return crc;
}

const U32_MAX = 0xffffffff;

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Little-endian record writer. */
class Record {
  readonly bytes: Uint8Array<ArrayBuffer>;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number) { this.view.setUint16(this.at, v, true); this.at += 2; return this; }
  u32(v: number) { this.view.setUint32(this.at, v >>> 0, true); this.at += 4; return this; }
  u64(v: number) { this.view.setBigUint64(this.at, BigInt(v), true); this.at += 8; return this; }
  raw(b: Uint8Array) { this.bytes.set(b, this.at); this.at += b.length; return this; }
}

/** The zip as a Blob of parts; reads each file once (for its CRC) and copies none of them. */
export async function zipFiles(files: ZipInputFile[], options: ZipOptions = {}): Promise<Blob> {
  const { time, date } = dosDateTime(options.modified ?? new Date());
  const total = files.reduce((s, f) => s + f.blob.size, 0);
  const seen = new Set<string>();
  for (const f of files) {
    if (!f.path || f.path.startsWith('/') || f.path.split('/').includes('..')) throw new LabError('bad-argument', `zip: '${f.path}' is not a relative path inside the archive`);
    if (seen.has(f.path)) throw new LabError('bad-argument', `zip: '${f.path}' appears twice`);
    seen.add(f.path);
  }
  // Local headers + data, without ZIP64 extras: if this passes 4 GiB, ZIP64 is needed.
  const plainEnd = files.reduce((s, f) => s + 30 + new TextEncoder().encode(f.path).length + f.blob.size, 0);
  const zip64 = options.zip64 === 'always' || plainEnd > U32_MAX || files.length > 0xfffe;
  const version = zip64 ? 45 : 20;
  const FLAGS = 0x0800; // names are UTF-8
  const parts: BlobPart[] = [];
  const central: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  let read = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.path);
    const crc = await blobCrc32(f.blob, (n) => (read += n));
    options.onProgress?.(read, total);
    const size = f.blob.size;
    const local = new Record(30 + name.length + (zip64 ? 20 : 0))
      .u32(0x04034b50).u16(version).u16(FLAGS).u16(0).u16(time).u16(date).u32(crc)
      .u32(zip64 ? U32_MAX : size).u32(zip64 ? U32_MAX : size).u16(name.length).u16(zip64 ? 20 : 0).raw(name);
    if (zip64) local.u16(0x0001).u16(16).u64(size).u64(size);
    const cd = new Record(46 + name.length + (zip64 ? 28 : 0))
      .u32(0x02014b50).u16(version).u16(version).u16(FLAGS).u16(0).u16(time).u16(date).u32(crc)
      .u32(zip64 ? U32_MAX : size).u32(zip64 ? U32_MAX : size).u16(name.length).u16(zip64 ? 28 : 0)
      .u16(0).u16(0).u16(0).u32(0).u32(zip64 ? U32_MAX : offset).raw(name);
    if (zip64) cd.u16(0x0001).u16(24).u64(size).u64(size).u64(offset);
    central.push(cd.bytes);
    parts.push(local.bytes, f.blob);
    offset += local.bytes.length + size;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  parts.push(...central);
  if (zip64) {
    const eocd64 = new Record(56).u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0)
      .u64(files.length).u64(files.length).u64(cdSize).u64(cdOffset);
    const locator = new Record(20).u32(0x07064b50).u32(0).u64(cdOffset + cdSize).u32(1);
    parts.push(eocd64.bytes, locator.bytes);
  }
  const count = zip64 ? 0xffff : files.length;
  const end = new Record(22).u32(0x06054b50).u16(0).u16(0).u16(count).u16(count)
    .u32(zip64 ? U32_MAX : cdSize).u32(zip64 ? U32_MAX : cdOffset).u16(0);
  parts.push(end.bytes);
  return new Blob(parts, { type: 'application/zip' });
}
