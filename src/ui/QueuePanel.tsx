// The run queue as a table: each run's label, status, the running one's phase and progress bar, a
// Cancel button per waiting / running run, "Clear finished". Props only (the Prune panel wires it).

import type { PruneProgress } from '../lab/lab-api';
import type { QueuedRun } from '../store/pruning-state';
import './queue.css';

export const phaseNames: Record<PruneProgress['phase'], string> = {
  'calibration-data': 'Preparing calibration data',
  planning: 'Planning',
  applying: 'Applying the plan',
  'evaluating-dense': 'Perplexity of the dense model',
  'evaluating-pruned': 'Perplexity of the pruned model',
  'accuracy-dense': 'Zero-shot accuracy of the dense model',
  'accuracy-pruned': 'Zero-shot accuracy of the pruned model',
  speed: 'Measuring speed',
  generating: 'Generating text, dense and pruned',
};

const statusNames: Record<QueuedRun['status'], string> = {
  queued: 'Waiting',
  running: 'Running',
  done: 'Done',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

interface Props {
  queue: QueuedRun[];
  /** True while another job (evaluation, speed, generation, export) holds the lab and the queue waits. */
  waitingForOtherJob: boolean;
  onCancel: (id: string) => void;
  onClearFinished: () => void;
}

function ItemProgress({ item }: { item: QueuedRun }) {
  if (item.status === 'running') {
    const phase = item.progress ? phaseNames[item.progress.phase] : 'Starting…';
    return (
      <>
        <span className="queue-phase" data-testid="queue-phase">{phase}</span>
        <progress className="fraction" max={1} value={item.progress?.fraction ?? 0} aria-label={`${item.label}: ${phase}`} />
      </>
    );
  }
  if (item.status === 'failed') return <span className="fail">{item.error?.message ?? 'Failed.'}</span>;
  if (item.status === 'cancelled' && item.error) return <span className="muted" data-testid="queue-note">{item.error.message}</span>;
  if (item.status === 'cancelled' && item.progress) return <span className="muted">during: {phaseNames[item.progress.phase].toLowerCase()}</span>;
  if (item.status === 'done') return <span className="muted">{item.runId ? 'in the Runs table' : ''}</span>;
  return null;
}

export function QueuePanel({ queue, waitingForOtherJob, onCancel, onClearFinished }: Props) {
  if (queue.length === 0) return null;
  const waiting = queue.filter((item) => item.status === 'queued').length;
  const finishedCount = queue.filter((item) => item.status !== 'queued' && item.status !== 'running').length;
  const counts = (['done', 'cancelled', 'failed'] as const)
    .map((status) => [status, queue.filter((item) => item.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${statusNames[status].toLowerCase()}`);
  return (
    <section className="queue" aria-labelledby="queue-title" data-testid="queue-panel">
      <h3 id="queue-title">Run queue</h3>
      <p className="muted small" data-testid="queue-summary" aria-live="polite">
        Runs one at a time, in order. {waiting} waiting{counts.length > 0 ? `, ${counts.join(', ')}` : ''}.
        {waitingForOtherJob && waiting > 0 ? ' Waiting for the current job to finish.' : ''}
      </p>
      <table className="table compact queue-table">
        <thead>
          <tr>
            <th className="left" scope="col">#</th>
            <th className="left" scope="col">Run</th>
            <th className="left" scope="col">Status</th>
            <th className="left" scope="col">Progress</th>
            <th scope="col"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {queue.map((item, index) => (
            <tr key={item.id} className={`queue-item ${item.status}`} data-testid="queue-item" data-status={item.status} data-queue-id={item.id} data-run-id={item.runId ?? ''}>
              <td className="left">{index + 1}</td>
              <td className="left queue-label">{item.label}</td>
              <td className="left"><span className={`queue-status ${item.status}`}>{statusNames[item.status]}</span></td>
              <td className="left queue-progress">
                <ItemProgress item={item} />
              </td>
              <td>
                {(item.status === 'queued' || item.status === 'running') && (
                  <button type="button" className="queue-cancel" data-testid="queue-cancel" aria-label={`Cancel ${item.label} (queue item ${index + 1})`} onClick={() => onCancel(item.id)}>
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button type="button" className="button" data-testid="queue-clear" disabled={finishedCount === 0} onClick={onClearFinished}>
          Clear finished
        </button>
      </div>
    </section>
  );
}
