// Turns what the user dropped or picked (files, a folder, several files) into ModelFileRefs with
// '/'-separated paths relative to the dropped folder (e.g. 'onnx/model.onnx'). DOM only; no React.

import type { ModelFileRef } from '../model/loaded-model';

/** Removes the first path segment when every path shares it (the dropped folder's own name). */
export function stripCommonRoot(refs: ModelFileRef[]): ModelFileRef[] {
  const firstSegments = new Set(refs.map((ref) => (ref.path.includes('/') ? ref.path.split('/')[0] : null)));
  if (refs.length === 0 || firstSegments.size !== 1 || firstSegments.has(null)) return refs;
  return refs.map((ref) => ({ path: ref.path.slice(ref.path.indexOf('/') + 1), blob: ref.blob }));
}

/** What was dropped or picked: the files (paths relative to the folder) and the folder's name, if one was dropped. */
export interface DroppedFiles {
  files: ModelFileRef[];
  /** The dropped folder's name (the model's name in the lab), or null for loose files. */
  folderName: string | null;
}

/** The first path segment every path shares (the dropped folder's own name), or null. */
export function commonRoot(paths: string[]): string | null {
  const firstSegments = new Set(paths.map((path) => (path.includes('/') ? path.split('/')[0] : null)));
  if (paths.length === 0 || firstSegments.size !== 1 || firstSegments.has(null)) return null;
  return [...firstSegments][0];
}

function dropped(refs: ModelFileRef[]): DroppedFiles {
  return { files: stripCommonRoot(refs).sort((a, b) => a.path.localeCompare(b.path)), folderName: commonRoot(refs.map((r) => r.path)) };
}

/** Files from an <input type=file> (with or without webkitdirectory). */
export function filesFromFileList(list: FileList | File[]): DroppedFiles {
  return dropped(Array.from(list).map((file) => ({ path: file.webkitRelativePath || file.name, blob: file as Blob })));
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most ~100 entries per call; call it until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function collect(entry: FileSystemEntry, out: ModelFileRef[]): Promise<void> {
  if (entry.isFile) {
    const file = await fileOf(entry as FileSystemFileEntry);
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), blob: file });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const child of children) await collect(child, out);
  }
}

/** Files from a drop: folders are walked. Must be called synchronously in the drop handler. */
export function filesFromDataTransfer(transfer: DataTransfer): Promise<DroppedFiles> {
  // Entries must be taken before the first await: the DataTransfer is emptied after the event.
  const entries = Array.from(transfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  const plainFiles = Array.from(transfer.files);
  return (async () => {
    if (entries.length === 0 || entries.some((entry) => entry === null)) return filesFromFileList(plainFiles);
    const out: ModelFileRef[] = [];
    for (const entry of entries) await collect(entry as FileSystemEntry, out);
    return dropped(out);
  })();
}
