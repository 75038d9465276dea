// A deflate-compressed zip of exported files, written with zip.js (a maintained library) as each file
// streams through: a pruned model that is mostly zeros comes out far smaller. zip.js adds ZIP64
// records past 4 GiB. It compresses with the platform's CompressionStream only (no web workers, no
// wasm module fetched: nothing leaves the origin). Pure apart from Blob and CompressionStream.

import { BlobReader, BlobWriter, configure, ZipReader, ZipWriter } from '@zip.js/zip.js';
import { LabError } from '../errors';

configure({ useWebWorkers: false, useCompressionStream: true });

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
  /** Called as files are read, with bytes read so far / total. */
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
}

/** The archive: one deflated entry per file, in the given order. */
export async function zipFiles(files: ZipInputFile[], options: ZipOptions = {}): Promise<Blob> {
  const seen = new Set<string>();
  for (const f of files) {
    if (!f.path || f.path.startsWith('/') || f.path.split('/').includes('..')) throw new LabError('bad-argument', `zip: '${f.path}' is not a relative path inside the archive`);
    if (seen.has(f.path)) throw new LabError('bad-argument', `zip: '${f.path}' appears twice`);
    seen.add(f.path);
  }
  const total = files.reduce((sum, f) => sum + f.blob.size, 0);
  const writer = new ZipWriter(new BlobWriter('application/zip'), { zip64: options.zip64 === 'always' ? true : undefined, lastModDate: options.modified ?? new Date() });
  let done = 0;
  for (const file of files) {
    await writer.add(file.path, new BlobReader(file.blob), {
      onprogress: async (read) => options.onProgress?.(done + read, total),
    });
    done += file.blob.size;
    options.onProgress?.(done, total);
  }
  return writer.close();
}

/** The entries of a zip (any method zip.js reads) by path: for tests and for reading an export back. */
export async function unzipFiles(zip: Blob): Promise<Map<string, Uint8Array>> {
  const reader = new ZipReader(new BlobReader(zip));
  const out = new Map<string, Uint8Array>();
  for (const entry of await reader.getEntries()) {
    if (entry.directory) continue;
    out.set(entry.filename, new Uint8Array(await (await entry.getData(new BlobWriter())).arrayBuffer()));
  }
  await reader.close();
  return out;
}
