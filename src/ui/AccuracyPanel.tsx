// Zero-shot accuracy: the bundled HellaSwag items or a dropped jsonl, the loaded, pruned or fine-tuned
// model, acc and acc_norm live per item, cancel, the final figures with their standard errors.

import { useState } from 'react';
import type { AccuracyRequest, ChoiceDataSource } from '../lab/lab-api';
import { isBusy } from '../store/lab-state';
import { useCancelling, useLab } from '../store/use-lab';
import { formatNumber } from './format';
import { TextFileInput } from './TextFileInput';
import { useStoredSetting } from './use-stored-setting';

const percent = (p: number) => `${(100 * p).toFixed(1)}%`;

export function AccuracyPanel() {
  const accuracy = useLab((s) => s.accuracy);
  const hasModel = useLab((s) => s.model !== null);
  const hasPruned = useLab((s) => s.pruning.job.status === 'done');
  const hasTuned = useLab((s) => s.tuning.status === 'done');
  const busy = useLab(isBusy);
  const evaluateAccuracy = useLab((s) => s.evaluateAccuracy);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('accuracy');
  const showError = useLab((s) => s.showError);
  const [dropped, setDropped] = useState<{ name: string; text: string } | null>(null);
  const [useFile, setUseFile] = useState(false);
  const [maxItems, setMaxItems] = useStoredSetting('accuracy.maxItems', '100');
  const [which, setWhich] = useStoredSetting<NonNullable<AccuracyRequest['which']>>('accuracy.which', 'loaded', ['loaded', 'pruned', 'finetuned']);

  const run = () => {
    let data: ChoiceDataSource = { kind: 'bundled', id: 'hellaswag' };
    if (useFile) {
      if (!dropped) return showError({ code: 'bad-text', message: 'Choose a .jsonl file of {query, endings, label} lines.' }, 'Measuring zero-shot accuracy');
      data = { kind: 'file', ...dropped };
    }
    const n = Number.parseInt(maxItems, 10);
    void evaluateAccuracy({ data, which, maxItems: Number.isFinite(n) ? n : undefined });
  };
  const { status, progress, result } = accuracy;

  return (
    <section className="card" aria-labelledby="acc-title">
      <h2 id="acc-title">Zero-shot accuracy</h2>
      <p className="muted small">
        Multiple choice scored as lm-evaluation-harness does: each ending's log-likelihood given the context; acc picks the largest, acc_norm the largest per byte.
      </p>
      <div className="form">
        <label>
          Items
          <select data-testid="acc-data" value={useFile ? 'file' : 'hellaswag'} onChange={(e) => setUseFile(e.target.value === 'file')}>
            <option value="hellaswag">HellaSwag (first 300 validation items)</option>
            <option value="file">{dropped ? `File: ${dropped.name}` : 'A .jsonl file…'}</option>
          </select>
        </label>
        {useFile && (
          <label>
            Items file
            <TextFileInput accept=".jsonl,.json,application/json" data-testid="acc-file" onText={setDropped} onError={(e) => showError(e, 'Reading the items file')} />
          </label>
        )}
        <label>
          Model
          <select data-testid="acc-which" value={which} onChange={(e) => setWhich(e.target.value as typeof which)}>
            <option value="loaded">Loaded</option>
            <option value="pruned" disabled={!hasPruned}>Pruned (last run)</option>
            <option value="finetuned" disabled={!hasTuned}>Fine-tuned (last run)</option>
          </select>
        </label>
        <label>
          Max items (empty = all)
          <input type="number" min={1} step={1} data-testid="acc-max-items" value={maxItems} onChange={(e) => setMaxItems(e.target.value)} />
        </label>
        <div className="row">
          <button type="button" data-testid="acc-run" onClick={run} disabled={busy || !hasModel}>
            Run
          </button>
          <button type="button" data-testid="acc-cancel" onClick={() => cancel('accuracy')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="acc-status" data-status={status} data-items={progress?.itemsDone ?? ''} aria-live="polite">
        {status === 'running' && (progress ? `Running: item ${progress.itemsDone} / ${progress.items}, acc so far ${percent(progress.acc)}, acc_norm ${percent(progress.accNorm)}` : 'Running…')}
        {status === 'done' && 'Done.'}
        {status === 'cancelled' && `Cancelled after ${progress?.itemsDone ?? 0} items.`}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      {result && (
        <table className="table results" data-testid="acc-result" data-acc={result.acc} data-acc-norm={result.accNorm} data-items={result.items}>
          <tbody>
            <tr>
              <th scope="row">acc</th>
              <td>
                {percent(result.acc)} ± {percent(result.accStderr)}
              </td>
            </tr>
            <tr>
              <th scope="row">acc_norm</th>
              <td>
                {percent(result.accNorm)} ± {percent(result.accNormStderr)}
              </td>
            </tr>
            <tr>
              <th scope="row">Chance</th>
              <td>{percent(result.chance)}</td>
            </tr>
            <tr>
              <th scope="row">Items</th>
              <td>
                {result.items} of {result.itemsAvailable} in {result.dataName} ({result.which} model, {result.backend}, {formatNumber(result.elapsedMs / 1000, 1)} s)
              </td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}
