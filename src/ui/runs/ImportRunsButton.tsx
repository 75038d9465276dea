// "Import runs": a runs JSON file (the panel's own "Export JSON", or `lab runs merge` after a sweep on a
// cluster) added to the Runs table with its model hash. A bad file shows the lab's error; nothing is added.

import { useState } from 'react';
import type { RunsImported } from '../../store/runs-actions';
import { useLab } from '../../store/use-lab';

export function importedText(name: string, r: RunsImported): string {
  const parts = [`${name}: ${r.added} run${r.added === 1 ? '' : 's'} imported`];
  if (r.skipped > 0) parts.push(`${r.skipped} already listed`);
  if (r.otherModels > 0) parts.push(`${r.otherModels} made on another model (tick "Show runs of other models")`);
  return `${parts.join('; ')}.`;
}

export function ImportRunsButton() {
  const importRuns = useLab((s) => s.importRuns);
  const showError = useLab((s) => s.showError);
  const [note, setNote] = useState<string | null>(null);
  return (
    <>
      <label className="button">
        Import runs…
        <input
          type="file"
          accept=".json,application/json"
          className="visually-hidden"
          data-testid="runs-import"
          aria-label="Import runs from a JSON file (Export JSON, or lab runs merge)"
          onChange={(event) => {
            const file = event.target.files?.[0];
            event.target.value = '';
            if (!file) return;
            setNote(null);
            file.text().then(
              async (text) => {
                const result = await importRuns(text, file.name);
                if (result) setNote(importedText(file.name, result));
              },
              (error: unknown) => showError(error, 'Reading the runs file'),
            );
          }}
        />
      </label>
      {note && (
        <span className="muted small" role="status" data-testid="runs-import-note">
          {note}
        </span>
      )}
    </>
  );
}
