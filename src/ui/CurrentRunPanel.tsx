// The current run, in the results column: its phase and progress live (with "Cancelling…" the moment
// Cancel is pressed), the live charts of methods that trace (SLEB candidates, DReSS and movement
// training), then the result. Before the first run it says where things will appear.

import { useMemo } from 'react';
import { useLab } from '../store/use-lab';
import { DressChart, dressSteps } from './DressChart';
import { MovementChart, movementSteps } from './MovementChart';
import { PruneResultView } from './PruneResultView';
import { phaseNames } from './QueuePanel';
import { SlebChart, SlebTable, slebSteps } from './SlebTrace';

function LiveProgress() {
  const job = useLab((s) => s.pruning.job);
  const numLayers = useLab((s) => s.model?.numLayers ?? 0);
  const steps = useMemo(() => slebSteps(job.trace), [job.trace]);
  const dress = useMemo(() => dressSteps(job.trace), [job.trace]);
  const moves = movementSteps(job.trace);
  const { status, progress } = job;
  return (
    <>
      <div className="status" data-testid="prune-status" data-status={status} data-phase={progress?.phase ?? ''} aria-live="polite">
        {status === 'running' && job.cancelling && <span data-testid="prune-cancelling">Cancelling… (the current step finishes first)</span>}
        {status === 'running' && !job.cancelling && (
          <>
            <span data-testid="prune-phase">{progress ? phaseNames[progress.phase] : 'Starting…'}</span>
            {progress && <span data-testid="prune-message">: {progress.message}</span>}
            <progress
              className="fraction"
              data-testid="prune-progress"
              max={1}
              value={progress?.fraction ?? 0}
              aria-label="Pruning progress"
            />
          </>
        )}
        {status === 'done' && 'Done.'}
        {status === 'cancelled' && `Cancelled${progress ? ` during: ${phaseNames[progress.phase].toLowerCase()}` : ''}. The loaded model is unchanged.`}
        {status === 'failed' && `Failed: ${job.error?.message ?? 'see the error above'}`}
      </div>
      {dress.length > 0 && (status === 'running' || status === 'cancelled') && (
        <div className="live" data-testid="dress-live">
          <DressChart steps={dress} testId="dress-live-chart" />
        </div>
      )}
      {moves.length > 0 && (status === 'running' || status === 'cancelled') && (
        <div className="live" data-testid="movement-live">
          <MovementChart steps={moves} testId="movement-live-chart" />
        </div>
      )}
      {steps.length > 0 && (status === 'running' || status === 'cancelled') && (
        <div className="live" data-testid="sleb-live">
          <SlebChart steps={steps} numBlocks={numLayers} />
          <SlebTable steps={steps} testId="sleb-live-table" />
        </div>
      )}
    </>
  );
}

export function CurrentRunPanel() {
  const job = useLab((s) => s.pruning.job);
  const methods = useLab((s) => s.pruning.methods);
  const runningItem = useLab((s) => s.pruning.queue.find((item) => item.status === 'running'));
  const running = job.status === 'running';
  const method = methods.find((m) => m.id === job.result?.methodId);
  return (
    <section className="card current-run" aria-labelledby="current-run-title" data-testid="current-run">
      <h2 id="current-run-title">{running ? `Running${runningItem ? `: ${runningItem.methodLabel}` : ''}` : job.result ? `Last run${method ? `: ${method.label}` : ''}` : 'Current run'}</h2>
      {job.status === 'idle' && <p className="muted small" data-testid="current-run-empty">No run yet. Pick a method and press Run: its progress, live charts and result appear here.</p>}
      <LiveProgress />
      {job.result && <PruneResultView result={job.result} methodLabel={method?.label ?? job.result.methodId} />}
    </section>
  );
}
