// The Runs panel: every finished prune run side by side (sortable table), perplexity vs ratio chart,
// CSV / JSON export and import, "Clear runs", a switch to show runs of other models (labelled as such), and the
// side-by-side views (src/ui/runs/) built from the same rows in the same order.

import { useState } from 'react';
import { isRunOfModel, paramsText, pplDelta, realisedSparsity, runRatio, targetRatio, type RunRecord } from '../store/run-record';
import { runsToCsv, runsToJson } from '../store/runs-csv';
import { visibleRuns } from '../store/runs-actions';
import { useLab } from '../store/use-lab';
import { downloadText } from './download-text';
import { formatCount, formatNumber } from './format';
import { ImportRunsButton } from './runs/ImportRunsButton';
import { fp32BytesAfter, percentText } from './runs/run-views-data';
import { RunsViews } from './runs/RunsViews';

type SortKey = 'finished' | 'method' | 'ratio' | 'realised' | 'pplAfter' | 'delta' | 'accNorm' | 'decode' | 'prefill' | 'parameters' | 'size' | 'layers' | 'elapsed';

/** The table's ratio: what the run asked for (targetRatio), else the measured ratio (runRatio). */
const shownRatio = (run: RunRecord): number => targetRatio(run) ?? runRatio(run);

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

const maybe = (value: number | null, digits = 2) => (value === null ? '—' : formatNumber(value, digits));

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

function RunRow({ run, number, otherModel }: { run: RunRecord; number: number; otherModel: boolean }) {
  const delta = pplDelta(run);
  const bytes = fp32BytesAfter(run);
  const realised = realisedSparsity(run);
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-method={run.methodId} data-other-model={otherModel}>
      <td data-testid="run-number" data-value={number}>#{number}</td>
      <td>
        {run.methodLabel}
        {otherModel && <span className="other-model small" data-testid="run-other-model"> (other model: {run.modelName})</span>}
      </td>
      <td data-testid="run-ratio" data-value={shownRatio(run)}>
        {formatNumber(shownRatio(run), 3)} <span className="muted small">{paramsText(run.params)}</span>
      </td>
      <td data-testid="run-realised-sparsity" data-value={realised ?? ''}
        title={realised === null ? 'Not recorded for this run' : run.methodKind === 'blocks' ? 'Share of the block linear weights removed (blocks dropped, plus zeros in kept blocks)' : 'Share of zero weights over the block linear layers, measured'}>
        {percentText(realised)}
      </td>
      <td data-testid="run-ppl" data-before={run.pplBefore ?? ''} data-after={run.pplAfter ?? ''}>
        {maybe(run.pplBefore)} → {maybe(run.pplAfter)}
        {run.pplWindows !== null && <span className="muted small"> ({run.pplWindows} × {run.pplSeqLen}, {run.pplTextName})</span>}
      </td>
      <td data-testid="run-ppl-delta" data-value={delta ?? ''}>{delta === null ? '—' : `${delta >= 0 ? '+' : ''}${formatNumber(delta)}`}</td>
      <td data-testid="run-acc" data-before={run.accuracy?.accNormBefore ?? ''} data-after={run.accuracy?.accNormAfter ?? ''}>
        {run.accuracy ? (
          <>
            {percentText(run.accuracy.accNormBefore)} → {percentText(run.accuracy.accNormAfter)}
            <span className="muted small"> (acc {percentText(run.accuracy.accBefore)} → {percentText(run.accuracy.accAfter)}; {run.accuracy.items} items, {run.accuracy.dataName})</span>
          </>
        ) : (
          <span className="muted small">not measured</span>
        )}
      </td>
      <td data-testid="run-decode" title={run.speedAdapter ?? undefined} data-dense={run.decodeTokensPerSDense ?? ''} data-pruned={run.decodeTokensPerSPruned ?? ''}>
        {run.decodeTokensPerSDense === null && run.decodeTokensPerSPruned === null ? (
          <span className="muted small">not measured</span>
        ) : (
          `${maybe(run.decodeTokensPerSDense, 1)} → ${maybe(run.decodeTokensPerSPruned, 1)}`
        )}
      </td>
      <td data-testid="run-prefill" title={run.speedAdapter ?? undefined} data-dense={run.prefillMsDense ?? ''} data-pruned={run.prefillMsPruned ?? ''}>
        {run.prefillMsDense === null && run.prefillMsPruned === null ? (
          <span className="muted small">not measured</span>
        ) : (
          `${maybe(run.prefillMsDense, 1)} → ${maybe(run.prefillMsPruned, 1)}`
        )}
      </td>
      <td data-testid="run-calibration" data-text={run.calibration.textName} data-windows={run.calibration.windows}>
        {run.calibration.windows === 0 ? (
          <span className="muted small">none (data-free)</span>
        ) : (
          <>
            {run.calibration.textName} × {run.calibration.windows}
            <span className="muted small"> ({run.calibration.seqLen} tokens)</span>
          </>
        )}
      </td>
      <td data-testid="run-parameters" data-value={run.parametersAfter}>
        {formatCount(run.parametersBefore)} → {formatCount(run.parametersAfter)}
      </td>
      <td data-testid="run-size" data-value={bytes} title="fp32 weights of the pruned model">
        {(bytes / 1e6).toFixed(2)} MB
      </td>
      <td data-testid="run-layers" data-value={run.layersAfter}>
        {run.layersBefore} → {run.layersAfter}
      </td>
      <td data-testid="run-elapsed" data-value={run.elapsedMs}>{(run.elapsedMs / 1000).toFixed(1)} s</td>
    </tr>
  );
}

export function RunsPanel() {
  const runs = useLab((s) => s.runs);
  const model = useLab((s) => s.model);
  const clearRuns = useLab((s) => s.clearRuns);
  const setShowAllModels = useLab((s) => s.setShowAllModels);
  const [sort, setSort] = useState<[SortKey, boolean]>(['finished', true]);
  const shown = visibleRuns({ runs, model });
  const hidden = runs.runs.length - shown.length;
  const sorted = sortRuns(shown, sort[0], sort[1]);
  const onSort = (column: SortKey) => setSort(([key, ascending]) => [column, key === column ? !ascending : true]);
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

  return (
    <section className="card" aria-labelledby="runs-title" data-testid="runs-panel" data-status={runs.status}>
      <h2 id="runs-title">Runs</h2>
      <p className="muted small">
        Every finished prune run and recovery fine-tuning, kept in this browser (IndexedDB). Runs of the loaded model are shown
        {hidden > 0 ? `; ${hidden} run${hidden === 1 ? '' : 's'} of other models hidden` : ''}. Models are told apart by
        a hash of their weights.
      </p>
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
                  <Header label="Target ratio / params" column="ratio" sort={sort} onSort={onSort} />
                  <Header label="Realised sparsity" column="realised" sort={sort} onSort={onSort} />
                  <Header label="Perplexity before → after" column="pplAfter" sort={sort} onSort={onSort} />
                  <Header label="Δ perplexity" column="delta" sort={sort} onSort={onSort} />
                  <Header label="acc_norm dense → pruned" column="accNorm" sort={sort} onSort={onSort} />
                  <Header label="Decode tok/s dense → pruned" column="decode" sort={sort} onSort={onSort} />
                  <Header label="Prefill ms dense → pruned" column="prefill" sort={sort} onSort={onSort} />
                  <th scope="col">Calibration</th>
                  <Header label="Parameters" column="parameters" sort={sort} onSort={onSort} />
                  <Header label="Size (fp32)" column="size" sort={sort} onSort={onSort} />
                  <Header label="Layers" column="layers" sort={sort} onSort={onSort} />
                  <Header label="Time taken" column="elapsed" sort={sort} onSort={onSort} />
                </tr>
              </thead>
              <tbody>
                {sorted.map((run, i) => (
                  <RunRow key={run.id} run={run} number={i + 1} otherModel={!model || !isRunOfModel(run, model)} />
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
