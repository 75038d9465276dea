// "Download pruned model": exports the last pruned model as a Hugging Face folder (safetensors), a
// transformers.js folder (ONNX fp32/fp16/q4) or both, and saves it (a picked folder, else one zip
// download); lists what was saved with sizes. Formats the pruned model cannot take are disabled.

import { useState } from 'react';
import type { ExportRequest } from '../lab/lab-api';
import { isBusy } from '../store/lab-state';
import { useLab } from '../store/use-lab';
import { formatBytes } from './format';
import { EXPORT_ZIP_NAME, saveFiles } from './save-files';

export function ExportButton() {
  const exported = useLab((s) => s.pruning.exported);
  const busy = useLab(isBusy);
  const exportPruned = useLab((s) => s.exportPruned);
  const exportable = useLab((s) => s.pruning.job.result?.exportable) ?? { safetensors: true, transformersJs: true, reason: null };
  const [format, setFormat] = useState<ExportRequest['format']>('safetensors');
  const allowed = { safetensors: exportable.safetensors, 'transformers.js': exportable.transformersJs, both: exportable.safetensors && exportable.transformersJs };
  const listing = exported.files.map((f) => `${f.path}:${f.bytes}`).join(';');
  return (
    <div className="export">
      <label>
        Format{' '}
        <select data-testid="export-format" value={format} onChange={(e) => setFormat(e.target.value as ExportRequest['format'])}>
          <option value="safetensors" disabled={!allowed.safetensors}>Hugging Face (safetensors)</option>
          <option value="transformers.js" disabled={!allowed['transformers.js']}>transformers.js (ONNX fp32, fp16, 4-bit)</option>
          <option value="both" disabled={!allowed.both}>Both, in one folder</option>
        </select>
      </label>{' '}
      <button type="button" data-testid="prune-download" disabled={busy || !allowed[format]} title={allowed[format] ? undefined : (exportable.reason ?? undefined)} onClick={() => void exportPruned(saveFiles, format)}>
        Download pruned model
      </button>{' '}
      <span className="status" data-testid="export-status" data-status={exported.status} data-files={listing} aria-live="polite">
        {exported.status === 'running' && 'Exporting…'}
        {exported.status === 'done' &&
          `Saved ${exported.files.length} files ${exported.savedTo === 'folder' ? 'into the folder you chose' : `as one download, ${EXPORT_ZIP_NAME}`}: ` +
            exported.files.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ')}
        {exported.status === 'cancelled' && 'Not saved (no folder chosen).'}
        {exported.status === 'failed' && 'Export failed (see the error above).'}
        {!allowed[format] && exportable.reason && ` Not exportable in this format: ${exportable.reason}`}
      </span>
    </div>
  );
}
