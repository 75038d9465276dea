// Saves exported files on the user's machine: into a folder they pick (File System Access API,
// Chromium) where available, else one download per file through an object URL. Browser-only.

import { LabError } from '../errors';
import type { ExportedFile } from '../lab/lab-api';

/** The few File System Access members we use (not in TypeScript's DOM lib). */
interface WritableFile {
  write(data: Blob): Promise<void>;
  close(): Promise<void>;
}
interface DirectoryHandle {
  getDirectoryHandle(name: string, options: { create: boolean }): Promise<DirectoryHandle>;
  getFileHandle(name: string, options: { create: boolean }): Promise<{ createWritable(): Promise<WritableFile> }>;
}
type DirectoryPicker = (options: { mode: 'readwrite'; id?: string }) => Promise<DirectoryHandle>;

async function writeInto(root: DirectoryHandle, file: ExportedFile): Promise<void> {
  const parts = file.path.split('/').filter(Boolean);
  let folder = root;
  for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
  const writable = await (await folder.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
  await writable.write(file.blob);
  await writable.close();
}

function download(file: ExportedFile): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement('a');
  link.href = url;
  // Downloads are flat: a nested path keeps its folders in the name.
  link.download = file.path.split('/').join('__');
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started reading the blob by then; free it later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

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
    for (const file of files) await writeInto(root, file);
    return 'folder';
  }
  for (const file of files) {
    download(file);
    // Browsers drop some of many downloads started in the same instant.
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return 'downloads';
}
