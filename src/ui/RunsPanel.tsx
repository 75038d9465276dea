// The Runs panel: every finished prune run side by side (sortable table), perplexity vs ratio chart,
// CSV / JSON export and import, "Clear runs", a switch to show runs of other models (labelled as such), and the
// side-by-side views (src/ui/runs/) built from the same rows in the same order.

import { useState } from 'react';
import { isRunOfModel, pplDelta, realisedSparsity, type RunRecord } from '../store/run-record';
import { runMarks, shownRatio } from '../store/run-marks';
import { runsToCsv, runsToJson } from '../store/runs-csv';
import { visibleRuns } from '../store/runs-actions';
import { useLab } from '../store/use-lab';
import { downloadText } from './download-text';
import { ImportRunsButton } from './runs/ImportRunsButton';
import { fp32BytesAfter } from './runs/run-views-data';
import { RunRow } from './runs/RunRow';
import { RunsViews } from './runs/RunsViews';

type SortKey = 'finished' | 'method' | 'ratio' | 'realised' | 'pplAfter' | 'delta' | 'accNorm' | 'decode' | 'prefill' | 'parameters' | 'size' | 'layers' | 'elapsed';

const sortValue: Record<SortKey, (run: RunRecord) => number | string | null> = {
  finished: (r) => r.finishedAtMs,
  method: (r) => r.methodLabel,
  ratio: (r) => shownRatio(r),
  realised: (r) => realisedSparsity(r),
  pplAfter: (r) => r.pplAfter,
  delta: (r) => pplDelta(r),
  accNorm: (r) => r.accuracy?.accNormAfter ?? null,
  decode: (r) => r.decodeTokensPerSPruned,
  prefill: (r) => r.prefillMsPruned,
  parameters: (r) => r.parametersAfter,
  size: (r) => fp32BytesAfter(r),
  layers: (r) => r.layersAfter,
  elapsed: (r) => r.elapsedMs,
};

/** Runs sorted by a column; runs without the value go last either way. */
export function sortRuns(runs: RunRecord[], key: SortKey, ascending: boolean): RunRecord[] {
  const get = sortValue[key];
  return [...runs].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === 'string' ? x.localeCompare(String(y)) : x - (y as number);
    return ascending ? order : -order;
  });
}

function Header({ label, column, sort, onSort }: { label: string; column: SortKey; sort: [SortKey, boolean]; onSort: (k: SortKey) => void }) {
  const active = sort[0] === column;
  return (
    <th scope="col" aria-sort={active ? (sort[1] ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => onSort(column)} data-testid={`runs-sort-${column}`}>
        {label}
        {active ? (sort[1] ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

export function RunsPanel() {
  const runs = useLab((s) => s.runs);
  const model = useLab((s) => s.model);
  const clearRuns = useLab((s) => s.clearRuns);
  const setShowAllModels = useLab((s) => s.setShowAllModels);
  const dismissNotice = useLab((s) => s.dismissRunsNotice);
  const [sort, setSort] = useState<[SortKey, boolean]>(['finished', true]);
  const shown = visibleRuns({ runs, model });
  const hidden = runs.runs.length - shown.length;
  const sorted = sortRuns(shown, sort[0], sort[1]);
  const marks = runMarks(shown);
  const baseline = runs.runs.find((r) => r.id === runs.baselineRunId) ?? null;
  const setExportFormat = useLab((s) => s.setRunsExportFormat);
  const onSort = (column: SortKey) => setSort(([key, ascending]) => [column, key === column ? !ascending : true]);
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

  return (
    <section className="card" aria-labelledby="runs-title" data-testid="runs-panel" data-status={runs.status} data-saving={runs.saving ?? 0}>
      <h2 id="runs-title">Runs</h2>
      <p className="muted small">
        Every finished prune run and recovery fine-tuning, kept in this browser (IndexedDB). Runs of the loaded model are shown
        {hidden > 0 ? `; ${hidden} run${hidden === 1 ? '' : 's'} of other models hidden` : ''}. Models are told apart by
        a hash of their weights.
      </p>
      {runs.notice ? (
        <p className="warning small" role="status" data-testid="runs-notice">
          {runs.notice}{' '}
          <button type="button" className="button" data-testid="runs-notice-dismiss" onClick={dismissNotice}>
            Dismiss
          </button>
        </p>
      ) : null}
      <div className="row">
        <label className="check">
          <input type="checkbox" checked={runs.showAllModels} onChange={(e) => setShowAllModels(e.target.checked)} data-testid="runs-show-all" />
          Show runs of other models
        </label>
        <button type="button" className="button" disabled={shown.length === 0} data-testid="runs-export-csv" onClick={() => downloadText(`prunelab-runs-${stamp()}.csv`, runsToCsv(shown), 'text/csv')}>
          Export CSV
        </button>
        <button type="button" className="button" disabled={shown.length === 0} data-testid="runs-export-json" onClick={() => downloadText(`prunelab-runs-${stamp()}.json`, runsToJson(shown), 'application/json')}>
          Export JSON
        </button>
        <ImportRunsButton />
        <label className="check">
          Export runs as{' '}
          <select data-testid="runs-export-format" value={runs.exportFormat} onChange={(e) => setExportFormat(e.target.value as typeof runs.exportFormat)}>
            <option value="safetensors">Hugging Face (safetensors)</option>
            <option value="transformers.js">transformers.js (ONNX fp32, fp16, 4-bit)</option>
            <option value="both">Both</option>
          </select>
        </label>
        <button type="button" className="button" disabled={runs.runs.length === 0} data-testid="runs-clear" onClick={() => void clearRuns()}>
          Clear runs
        </button>
      </div>
      {sorted.length === 0 ? (
        <p className="muted" data-testid="runs-empty">No runs yet: run a pruning method above.</p>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Runs table (scrolls sideways)">
            <table className="table" data-testid="runs-table" data-rows={sorted.length}>
              <caption id="runs-table-caption" className="small muted">
                The runs behind the charts: target ratio and the sparsity the run actually reached (zeros over the block linear layers; for block methods the share of those weights removed), perplexity before → after on held-out text, decode tokens/s and prefill ms dense → pruned, calibration text × windows, size of the fp32 weights.
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <Header label="Method" column="method" sort={sort} onSort={onSort} />
                  <Header label="Ratio asked / params" column="ratio" sort={sort} onSort={onSort} />
                  <Header label="Realised sparsity" column="realised" sort={sort} onSort={onSort} />
                  <Header label="Perplexity dense → pruned" column="pplAfter" sort={sort} onSort={onSort} />
                  <Header label="Δ perplexity" column="delta" sort={sort} onSort={onSort} />
                  <Header label="acc_norm (%)" column="accNorm" sort={sort} onSort={onSort} />
                  <Header label="Decode (tokens/s)" column="decode" sort={sort} onSort={onSort} />
                  <Header label="Prefill (ms)" column="prefill" sort={sort} onSort={onSort} />
                  <th scope="col">Calibration</th>
                  <Header label="Parameters" column="parameters" sort={sort} onSort={onSort} />
                  <Header label="Size (fp32, MB)" column="size" sort={sort} onSort={onSort} />
                  <Header label="Layers" column="layers" sort={sort} onSort={onSort} />
                  <Header label="Time (s)" column="elapsed" sort={sort} onSort={onSort} />
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((run) => (
                  <RunRow key={run.id} run={run} mark={marks.get(run.id)!} otherModel={!model || !isRunOfModel(run, model)} baseline={baseline} />
                ))}
              </tbody>
            </table>
          </div>
          <RunsViews runs={sorted} describedBy="runs-table-caption" />
        </>
      )}
    </section>
  );
}
