// A stored run's actions in the Runs table: Export (its plan re-applied to the loaded weights; saved to a
// folder or as a .zip), Re-run (its request queued again), Pin as baseline, Delete. Export says why not
// when the run cannot be exported (another model loaded, or no plan stored).

import type { RunRecord } from '../../store/run-record';
import { isBusy } from '../../store/lab-state';
import { useLab } from '../../store/use-lab';
import { saveFiles, saveZip } from '../save-files';

function exportBlocker(run: RunRecord, otherModel: boolean): string | null {
  if (run.recovery) return 'A fine-tuned model is exported from the Fine-tune panel right after its run.';
  if (!run.planId) return run.planNote ? `Not stored: ${run.planNote}.` : 'This run kept no plan (made before plans were stored, or imported).';
  if (otherModel) return `Made on ${run.modelName}: load that model to export this run.`;
  return null;
}

export function RunActions({ run, otherModel, isBaseline }: { run: RunRecord; otherModel: boolean; isBaseline: boolean }) {
  const busy = useLab(isBusy);
  const exporting = useLab((s) => s.runs.exporting);
  const format = useLab((s) => s.runs.exportFormat);
  const exportRun = useLab((s) => s.exportRun);
  const rerun = useLab((s) => s.rerun);
  const setBaseline = useLab((s) => s.setBaseline);
  const deleteRun = useLab((s) => s.deleteRun);
  const blocker = exportBlocker(run, otherModel);
  const mine = exporting?.runId === run.id ? exporting : null;
  const label = `${run.methodLabel} #${run.id.slice(-4)}`;
  return (
    <div className="row run-action-buttons">
      <button type="button" className="button small-button" data-testid="run-export-folder" disabled={busy || blocker !== null || mine?.status === 'running'} title={blocker ?? 'Save this run\'s model into a folder you pick'}
        aria-label={`Save the model of ${label} to a folder`} onClick={() => void exportRun(run.id, saveFiles, format)}>
        Save…
      </button>
      <button type="button" className="button small-button" data-testid="run-export-zip" disabled={busy || blocker !== null || mine?.status === 'running'} title={blocker ?? 'Download this run\'s model as one compressed .zip'}
        aria-label={`Download the model of ${label} as a .zip`} onClick={() => void exportRun(run.id, saveZip, format)}>
        .zip
      </button>
      <button type="button" className="button small-button" data-testid="run-rerun" disabled={!run.request || otherModel || Boolean(run.recovery)} title={run.request ? 'Queue this run again with the same request' : 'This run kept no request'}
        aria-label={`Re-run ${label}`} onClick={() => rerun(run.id)}>
        Re-run
      </button>
      <button type="button" className="button small-button" data-testid="run-pin" aria-pressed={isBaseline} aria-label={`${isBaseline ? 'Unpin' : 'Pin'} ${label} as the baseline`} onClick={() => setBaseline(isBaseline ? null : run.id)}>
        {isBaseline ? 'Unpin' : 'Baseline'}
      </button>
      <button type="button" className="button small-button" data-testid="run-delete" aria-label={`Delete ${label}`} onClick={() => void deleteRun(run.id)}>
        Delete
      </button>
      {mine && (
        <span className="small muted" data-testid="run-export-status" data-status={mine.status} aria-live="polite">
          {mine.status === 'running' && 'Exporting…'}
          {mine.status === 'done' && `Saved ${mine.files.length} files${mine.savedTo === 'folder' ? ' into the folder' : ' as a .zip'}.`}
          {mine.status === 'cancelled' && 'Not saved.'}
          {mine.status === 'failed' && 'Export failed (see the error above).'}
        </span>
      )}
    </div>
  );
}
