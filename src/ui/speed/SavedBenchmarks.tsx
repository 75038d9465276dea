// The saved GPU benchmarks (store speedRecords, kept in IndexedDB): model, which, adapter, date, decode tokens/s and
// its share of the bound; Delete per row; Export JSON (every saved measurement, as stored) and CSV (a row per decode
// figure); Clear (these only), also done by the Runs panel's "Clear runs" (they are kept with the runs).

import { adapterText, speedRecordsToCsv, speedRecordsToJson } from '../../store/speed-record';
import { useLab } from '../../store/use-lab';
import { downloadText } from '../download-text';
import { formatNumber } from '../format';
import { boundShare } from './GpuBench';

export function SavedBenchmarks() {
  const saved = useLab((s) => s.speedRecords);
  const deleteRecord = useLab((s) => s.deleteSpeedRecord);
  const dismiss = useLab((s) => s.dismissSpeedNotice);
  const clear = useLab((s) => s.clearSpeedRecords);
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
  const records = saved.records;
  return (
    <section data-testid="speed-saved" data-status={saved.status} data-saving={saved.saving} aria-labelledby="speed-saved-title">
      <h3 id="speed-saved-title">Saved GPU benchmarks ({records.length})</h3>
      {saved.notice && (
        <p className="warning small" role="status" data-testid="speed-saved-notice">
          {saved.notice}{' '}
          <button type="button" className="button" onClick={dismiss}>
            Dismiss
          </button>
        </p>
      )}
      <div className="row">
        <button type="button" className="button" disabled={records.length === 0} data-testid="speed-export-json"
          onClick={() => downloadText(`prunelab-gpu-benchmarks-${stamp()}.json`, speedRecordsToJson(records), 'application/json')}>
          Export JSON
        </button>
        <button type="button" className="button" disabled={records.length === 0} data-testid="speed-export-csv"
          onClick={() => downloadText(`prunelab-gpu-benchmarks-${stamp()}.csv`, speedRecordsToCsv(records), 'text/csv')}>
          Export CSV
        </button>
        <button type="button" className="button" disabled={records.length === 0} data-testid="speed-clear" onClick={() => void clear()}>
          Clear saved benchmarks
        </button>
      </div>
      {records.length === 0 ? (
        <p className="muted small">None yet: each finished GPU benchmark is kept here (in this browser) until you delete it, clear them, or clear the runs.</p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Saved GPU benchmarks" tabIndex={0}>
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" className="left">Adapter</th>
                <th scope="col">Date</th>
                <th scope="col">Decode tokens/s</th>
                <th scope="col">Share of the bound</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {[...records].reverse().map((r) => {
                const date = new Date(r.savedAtMs).toLocaleString();
                const model = r.which === 'pruned' ? `${r.modelName} — pruned${r.prunedLabel ? ` (${r.prunedLabel})` : ''}` : r.modelName;
                return (
                  <tr key={r.id} data-testid="speed-saved-row" data-record-id={r.id} data-which={r.which}>
                    <th scope="row">{model}</th>
                    <td className="left">
                      {adapterText(r.adapter) ?? r.backend}
                      {r.isSoftwareAdapter ? ' (software)' : ''}
                    </td>
                    <td>{date}</td>
                    <td data-testid="speed-saved-tps" data-value={String(r.decode.tokensPerS.median)}>{formatNumber(r.decode.tokensPerS.median, 1)}</td>
                    <td>{boundShare(r.decode)}</td>
                    <td>
                      <button type="button" className="button" data-testid="speed-saved-delete" aria-label={`Delete the measurement of ${model} from ${date}`} onClick={() => void deleteRecord(r.id)}>
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
