// Export controls shared by the pruned model (result view) and the loaded model (model card): a format,
// then two plain choices, "Save to folder…" (a folder picker; the .zip where the browser has none) and
// "Download .zip" (compressed as it streams); what was saved, with sizes. Formats the model cannot
// take are disabled, with the reason.

import type { ExportRequest } from '../lab/lab-api';
import type { ExportState } from '../store/pruning-state';
import { formatBytes } from './format';
import { EXPORT_ZIP_NAME, saveFiles, saveZip } from './save-files';
import { useStoredSetting } from './use-stored-setting';

type Save = typeof saveFiles;

export interface ExportControlsProps {
  /** Names the stored format choice ('export.<id>.format'). */
  id: string;
  /** Test ids of the format select, the two buttons and the status. */
  testIds: { format: string; folder: string; zip: string; status: string };
  /** What is exported, for the buttons' accessible names ("the pruned model"). */
  what: string;
  state: ExportState;
  disabled: boolean;
  exportable?: { safetensors: boolean; transformersJs: boolean; reason: string | null };
  onExport: (save: Save, format: ExportRequest['format']) => void;
}

export function ExportControls(props: ExportControlsProps) {
  const exportable = props.exportable ?? { safetensors: true, transformersJs: true, reason: null };
  const [format, setFormat] = useStoredSetting<ExportRequest['format']>(`export.${props.id}.format`, 'safetensors', ['safetensors', 'transformers.js', 'both']);
  const allowed = { safetensors: exportable.safetensors, 'transformers.js': exportable.transformersJs, both: exportable.safetensors && exportable.transformersJs };
  const { state } = props;
  const listing = state.files.map((f) => `${f.path}:${f.bytes}`).join(';');
  const blocked = props.disabled || !allowed[format];
  const reason = allowed[format] ? undefined : (exportable.reason ?? undefined);
  return (
    <div className="export row">
      <label>
        Format{' '}
        <select data-testid={props.testIds.format} value={format} onChange={(e) => setFormat(e.target.value as ExportRequest['format'])}>
          <option value="safetensors" disabled={!allowed.safetensors}>Hugging Face (safetensors)</option>
          <option value="transformers.js" disabled={!allowed['transformers.js']}>transformers.js (ONNX fp32, fp16, 4-bit)</option>
          <option value="both" disabled={!allowed.both}>Both, in one folder</option>
        </select>
      </label>
      <button type="button" data-testid={props.testIds.folder} disabled={blocked} title={reason} aria-label={`Save ${props.what} to a folder`} onClick={() => props.onExport(saveFiles, format)}>
        Save to folder…
      </button>
      <button type="button" className="button" data-testid={props.testIds.zip} disabled={blocked} title={reason} aria-label={`Download ${props.what} as a .zip`} onClick={() => props.onExport(saveZip, format)}>
        Download .zip
      </button>
      <span className="status" data-testid={props.testIds.status} data-status={state.status} data-files={listing} aria-live="polite">
        {state.status === 'running' && 'Exporting…'}
        {state.status === 'done' &&
          `Saved ${state.files.length} files ${state.savedTo === 'folder' ? 'into the folder you chose' : `as one compressed download, ${EXPORT_ZIP_NAME}`}: ` +
            state.files.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ')}
        {state.status === 'cancelled' && 'Not saved (no folder chosen).'}
        {state.status === 'failed' && 'Export failed (see the error above).'}
        {reason && ` Not exportable in this format: ${reason}`}
      </span>
    </div>
  );
}
