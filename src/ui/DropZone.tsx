// Where a model comes in: drop a folder or several files, or pick files / a folder with a dialog.

import { useState, type DragEvent } from 'react';
import { useLab } from '../store/use-lab';
import { isBusy } from '../store/lab-state';
import { filesFromDataTransfer, filesFromFileList, type DroppedFiles } from './dropped-files';

/** The model's name in the lab: the dropped folder's, else the one file's, else null (the name its config gives). */
function nameOf({ files, folderName }: DroppedFiles): string | null {
  return folderName ?? (files.length === 1 ? files[0].path : null);
}

export function DropZone() {
  const loadModel = useLab((s) => s.loadModel);
  const showError = useLab((s) => s.showError);
  const busy = useLab(isBusy);
  const load = useLab((s) => s.load);
  const hasModel = useLab((s) => s.model !== null);
  const [dragging, setDragging] = useState(false);
  const previousModel = useLab((s) => s.previousModel);

  const submit = (picked: DroppedFiles) => {
    if (picked.files.length > 0) void loadModel(picked.files, nameOf(picked) ?? `${picked.files.length} files`, nameOf(picked));
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    if (busy) return;
    filesFromDataTransfer(event.dataTransfer).then(submit, (error: unknown) => showError(error, 'Reading the dropped files'));
  };

  return (
    <section
      className={`drop-zone${dragging ? ' dragging' : ''}`}
      data-testid="drop-zone"
      aria-label="Load a model"
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      {previousModel && (
        <p className="warning" data-testid="previous-model">
          Before the reload you worked on <strong>{previousModel}</strong>. Dropped files are not kept by the page: drop its folder again to continue. Its runs are kept (tick
          &ldquo;Show runs of other models&rdquo; to see them); the demo model is loaded meanwhile.
        </p>
      )}
      <p>
        Drop a model folder (config.json, tokenizer.json, onnx/model.onnx or model.safetensors) or its files here.
      </p>
      <div className="row">
        <label className="button">
          Choose files…
          <input
            type="file"
            multiple
            className="visually-hidden"
            data-testid="file-input"
            aria-label="Choose model files"
            disabled={busy}
            onChange={(event) => {
              submit(filesFromFileList(event.target.files ?? []));
              event.target.value = '';
            }}
          />
        </label>
        <label className="button">
          Choose a folder…
          <input
            // React does not know webkitdirectory; set it on the element itself.
            ref={(node) => node?.setAttribute('webkitdirectory', '')}
            type="file"
            multiple
            className="visually-hidden"
            data-testid="folder-input"
            aria-label="Choose a model folder"
            disabled={busy}
            onChange={(event) => {
              submit(filesFromFileList(event.target.files ?? []));
              event.target.value = '';
            }}
          />
        </label>
        <span className="muted" data-testid="load-status" data-status={load.status} aria-live="polite">
          {load.status === 'running' &&
            `Loading ${load.source ?? ''}${load.progress ? `: ${load.progress.message} (${Math.round(load.progress.fraction * 100)}%)` : '…'}`}
          {load.status === 'done' && `Now loaded: ${load.result?.name ?? load.source ?? ''}${load.replaced ? ` (replaced ${load.replaced})` : ''}.`}
          {load.status === 'failed' && `Could not load ${load.source ?? 'the files'}${hasModel ? '; the previous model stays loaded' : ''}.`}
          {load.status === 'cancelled' && 'Loading cancelled.'}
        </span>
      </div>
    </section>
  );
}
