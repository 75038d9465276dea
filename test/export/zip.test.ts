// zipFiles (zip.js, deflate): Info-ZIP's unzip tests and extracts the archive to the same bytes, also
// with ZIP64 records forced; a mostly-zero weights file (a pruned model) comes out far smaller; our
// unzipFiles reads it back; bad paths are refused.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipFiles, zipFiles } from '../../src/export/zip';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** float32 weights with 70% exact zeros (what magnitude pruning at 0.7 leaves). */
function prunedWeights(count: number): Uint8Array {
  const w = new Float32Array(count);
  const noise = randomBytes(count, 11);
  for (let i = 0; i < count; i++) w[i] = noise[i] < 77 ? (noise[i] - 38) / 100 : 0;
  return new Uint8Array(w.buffer);
}

const inputs = [
  { path: 'config.json', bytes: new TextEncoder().encode('{"a": 1}') },
  { path: 'onnx/model.onnx', bytes: randomBytes(300_001, 7) },
  { path: 'model.safetensors', bytes: prunedWeights(250_000) },
  { path: 'README.md', bytes: new TextEncoder().encode('# café ✓\n') },
  { path: 'empty.txt', bytes: new Uint8Array(0) },
];
// Byte arrays are compared with Buffer.equals: a deep toEqual over a megabyte takes seconds.
const blobs = () => inputs.map((f) => ({ path: f.path, blob: new Blob([f.bytes as BlobPart]) }));

describe('zipFiles', () => {
  it.each(['auto', 'always'] as const)('zip64 %s: unzip tests and extracts the same bytes; progress reaches the total', async (zip64) => {
    const progress: number[] = [];
    const blob = await zipFiles(blobs(), { zip64, onProgress: (read) => progress.push(read) });
    expect(progress.at(-1)).toBe(inputs.reduce((s, f) => s + f.bytes.length, 0));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-zip-'));
    const file = path.join(dir, 'model.zip');
    fs.writeFileSync(file, new Uint8Array(await blob.arrayBuffer()));
    execFileSync('unzip', ['-tq', file]); // throws on a CRC or structure error
    const listing = execFileSync('unzip', ['-v', file], { encoding: 'utf8' });
    expect(listing).toMatch(/Defl/);
    const out = path.join(dir, 'out');
    execFileSync('unzip', ['-q', file, '-d', out]);
    for (const f of inputs) expect(fs.readFileSync(path.join(out, f.path)).equals(Buffer.from(f.bytes)), f.path).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });

  it('compresses a 70%-zero weights file to well under half its size; unzipFiles reads every entry back', async () => {
    const weights = inputs.find((f) => f.path === 'model.safetensors')!;
    const alone = await zipFiles([{ path: weights.path, blob: new Blob([weights.bytes as BlobPart]) }]);
    expect(alone.size).toBeLessThan(weights.bytes.length * 0.5);
    const back = await unzipFiles(await zipFiles(blobs()));
    expect([...back.keys()].sort()).toEqual(inputs.map((f) => f.path).sort());
    for (const f of inputs) expect(Buffer.from(back.get(f.path)!).equals(Buffer.from(f.bytes)), f.path).toBe(true);
  });

  it('refuses duplicate and escaping paths', async () => {
    const b = new Blob(['x']);
    await expect(zipFiles([{ path: 'a', blob: b }, { path: 'a', blob: b }])).rejects.toThrow(/'a' appears twice/);
    await expect(zipFiles([{ path: '../a', blob: b }])).rejects.toThrow(/not a relative path/);
  });
});
