// Saves exported files on the user's machine, two plain choices: into a folder they pick (File System
// Access API, Chromium; where it is missing, the zip instead), or ONE compressed .zip download
// (export/zip, deflated as it streams) through an object URL. Browser-only.

import { LabError } from '../errors';
import type { ExportedFile } from '../lab/lab-api';
import { zipFiles } from '../export/zip';

/** Name of the zip download when no folder picker exists. */
export const EXPORT_ZIP_NAME = 'pruned-model.zip';

/** The few File System Access members we use (not in TypeScript's DOM lib). */
interface WritableFile {
  write(data: Blob): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
export interface DirectoryHandle {
  getDirectoryHandle(name: string, options: { create: boolean }): Promise<DirectoryHandle>;
  getFileHandle(name: string, options: { create: boolean }): Promise<{ createWritable(): Promise<WritableFile> }>;
}
type DirectoryPicker = (options: { mode: 'readwrite'; id?: string }) => Promise<DirectoryHandle>;

async function openWritable(root: DirectoryHandle, path: string): Promise<WritableFile> {
  const parts = path.split('/').filter(Boolean);
  let folder = root;
  for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
  return (await folder.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
}

/**
 * Every file written, or none: a writable's data lands in a swap file until close(), so all files are
 * written first and only then closed; a failure while writing (disk full, the tab closing) aborts them all
 * and leaves no half-written model folder (an empty onnx/ subfolder at most).
 */
export async function writeAllInto(root: DirectoryHandle, files: ExportedFile[]): Promise<void> {
  const open: WritableFile[] = [];
  try {
    for (const file of files) {
      const writable = await openWritable(root, file.path);
      open.push(writable);
      await writable.write(file.blob);
    }
  } catch (error) {
    await Promise.all(open.map((w) => Promise.resolve().then(() => w.abort()).catch(() => undefined)));
    throw error;
  }
  for (const writable of open) await writable.close();
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started reading the blob by then; free it later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** One compressed .zip download (keeps the folder structure, onnx/…; browsers may drop some of many separate downloads). */
export async function saveZip(files: ExportedFile[]): Promise<'folder' | 'downloads'> {
  download(await zipFiles(files), EXPORT_ZIP_NAME);
  return 'downloads';
}

/** Into a folder the user picks; without a folder picker (other browsers), the .zip download. */
export async function saveFiles(files: ExportedFile[]): Promise<'folder' | 'downloads'> {
  const picker = (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  if (typeof picker === 'function') {
    let root: DirectoryHandle;
    try {
      root = await picker.call(window, { mode: 'readwrite', id: 'prunelab-export' });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw new LabError('cancelled', 'No folder chosen.');
      throw error;
    }
    await writeAllInto(root, files);
    return 'folder';
  }
  return saveZip(files);
}
