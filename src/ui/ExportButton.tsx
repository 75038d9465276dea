// "Download pruned model": the last pruned model as a Hugging Face folder (safetensors), a
// transformers.js folder (ONNX fp32/fp16/q4) or both, saved to a picked folder or as one .zip.

import { isBusy } from '../store/lab-state';
import { useLab } from '../store/use-lab';
import { ExportControls } from './ExportControls';

const testIds = { format: 'export-format', folder: 'prune-download', zip: 'prune-download-zip', status: 'export-status' };

export function ExportButton() {
  const exported = useLab((s) => s.pruning.exported);
  const busy = useLab(isBusy);
  const exportPruned = useLab((s) => s.exportPruned);
  const exportable = useLab((s) => s.pruning.job.result?.exportable);
  return <ExportControls id="pruned" testIds={testIds} what="the pruned model" state={exported} disabled={busy} exportable={exportable} onExport={(save, format) => void exportPruned(save, format)} />;
}
