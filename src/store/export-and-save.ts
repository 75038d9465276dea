// One export flow for the pruned, loaded and stored-run exports: ask the lab for the files, save them
// (a folder or a .zip), and say how it went as an ExportState. A cancelled save (no folder chosen) is
// not an error; any other failure is returned for the caller to show.

import { toLabErrorData } from '../errors';
import type { ExportedFile } from '../lab/lab-api';
import type { ExportState } from './pruning-state';

export type SaveFiles = (files: ExportedFile[]) => Promise<'folder' | 'downloads'>;

export const exportRunning: ExportState = { status: 'running', files: [], savedTo: null };

export async function exportAndSave(exportFiles: () => Promise<ExportedFile[]>, save: SaveFiles): Promise<{ state: ExportState; error: unknown }> {
  try {
    const files = await exportFiles();
    const savedTo = await save(files);
    return { state: { status: 'done', files: files.map((f) => ({ path: f.path, bytes: f.blob.size })), savedTo }, error: null };
  } catch (error) {
    const cancelled = toLabErrorData(error).code === 'cancelled';
    return { state: { status: cancelled ? 'cancelled' : 'failed', files: [], savedTo: null }, error: cancelled ? null : error };
  }
}
