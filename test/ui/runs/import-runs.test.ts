// The Runs panel's "Import runs" control: a JSON file input beside the exports, and what it says after an import.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createLabStore } from '../../../src/store/lab-store';
import { memoryRunStorage } from '../../../src/store/run-storage';
import { LabStoreProvider } from '../../../src/store/use-lab';
import { RunsPanel } from '../../../src/ui/RunsPanel';
import { importedText } from '../../../src/ui/runs/ImportRunsButton';
import { FakeLab } from '../../lab/fake-lab';

describe('Import runs', () => {
  it('is a JSON file input in the Runs panel, usable with no runs yet', () => {
    const store = createLabStore(new FakeLab(), memoryRunStorage());
    const html = renderToStaticMarkup(createElement(LabStoreProvider, { store, children: createElement(RunsPanel) }));
    expect(html).toMatch(/Import runs…<input type="file" accept="\.json,application\/json"[^>]*data-testid="runs-import"/);
    expect(html).not.toMatch(/data-testid="runs-import"[^>]*disabled/);
  });

  it('says how many runs came in, were already listed, or belong to another model', () => {
    expect(importedText('runs.json', { added: 1, skipped: 0, otherModels: 0 })).toBe('runs.json: 1 run imported.');
    expect(importedText('runs.json', { added: 18, skipped: 2, otherModels: 18 })).toBe(
      'runs.json: 18 runs imported; 2 already listed; 18 made on another model (tick "Show runs of other models").',
    );
  });
});
