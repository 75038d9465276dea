// zipFiles: the archive lists and extracts with Info-ZIP's unzip (bytes equal), and its central
// directory, parsed here, carries the CRC-32 Node's zlib computes; also with ZIP64 records forced.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, zipFiles } from '../../src/export/zip';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

const inputs = [
  { path: 'config.json', bytes: new TextEncoder().encode('{"a": 1}') },
  { path: 'onnx/model.onnx', bytes: randomBytes(300_001, 7) },
  { path: 'README.md', bytes: new TextEncoder().encode('# café ✓\n') },
  { path: 'empty.txt', bytes: new Uint8Array(0) },
];

/** Central directory entries (name, CRC, size, local offset), reading ZIP64 extras when present. */
function centralDirectory(zip: Uint8Array): { name: string; crc: number; size: number; offset: number }[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = zip.length - 22;
  while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  let count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  if (at === 0xffffffff) {
    const loc = eocd - 20;
    expect(view.getUint32(loc, true)).toBe(0x07064b50);
    const rec = Number(view.getBigUint64(loc + 8, true));
    expect(view.getUint32(rec, true)).toBe(0x06064b50);
    count = Number(view.getBigUint64(rec + 32, true));
    at = Number(view.getBigUint64(rec + 48, true));
  }
  const entries = [];
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50);
    expect(view.getUint16(at + 10, true)).toBe(0); // STORE
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let size = view.getUint32(at + 24, true);
    let offset = view.getUint32(at + 42, true);
    if (size === 0xffffffff) {
      const extra = at + 46 + nameLen;
      expect(view.getUint16(extra, true)).toBe(1);
      size = Number(view.getBigUint64(extra + 4, true));
      offset = Number(view.getBigUint64(extra + 20, true));
    }
    entries.push({ name: new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLen)), crc: view.getUint32(at + 16, true), size, offset });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

describe('zipFiles', () => {
  it('crc32 matches zlib on chunks continued across calls', () => {
    const bytes = randomBytes(10_000, 3);
    expect(crc32(bytes)).toBe(zlib.crc32(bytes));
    expect(crc32(bytes.subarray(4000), crc32(bytes.subarray(0, 4000)))).toBe(zlib.crc32(bytes));
  });

  it.each(['auto', 'always'] as const)('zip64 %s: unzip extracts the same bytes; the CRCs are zlib’s', async (zip64) => {
    const progress: number[] = [];
    const blob = await zipFiles(inputs.map((f) => ({ path: f.path, blob: new Blob([f.bytes as BlobPart]) })), { zip64, onProgress: (read) => progress.push(read) });
    expect(progress.at(-1)).toBe(inputs.reduce((s, f) => s + f.bytes.length, 0));
    const zip = new Uint8Array(await blob.arrayBuffer());
    const entries = centralDirectory(zip);
    expect(entries.map((e) => e.name)).toEqual(inputs.map((f) => f.path));
    for (const [i, e] of entries.entries()) {
      expect(e.size).toBe(inputs[i].bytes.length);
      expect(e.crc).toBe(zlib.crc32(inputs[i].bytes));
      expect(new DataView(zip.buffer).getUint32(e.offset, true)).toBe(0x04034b50);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-zip-'));
    const file = path.join(dir, 'model.zip');
    fs.writeFileSync(file, zip);
    execFileSync('unzip', ['-tq', file]); // throws on a CRC or structure error
    const out = path.join(dir, 'out');
    execFileSync('unzip', ['-q', file, '-d', out]);
    for (const f of inputs) expect(new Uint8Array(fs.readFileSync(path.join(out, f.path)))).toEqual(f.bytes);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses duplicate and escaping paths', async () => {
    const b = new Blob(['x']);
    await expect(zipFiles([{ path: 'a', blob: b }, { path: 'a', blob: b }])).rejects.toThrow(/'a' appears twice/);
    await expect(zipFiles([{ path: '../a', blob: b }])).rejects.toThrow(/not a relative path/);
  });
});
