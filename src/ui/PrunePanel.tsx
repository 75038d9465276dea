// The Prune panel: pick a method, fill its declared parameters and the calibration / evaluation
// settings, run (or queue behind the running one) or add a sweep, watch the queue and the running
// item live (SLEB candidates as they arrive), cancel any, read the result.

import { useMemo } from 'react';
import { isBusy } from '../store/lab-state';
import { buildPruneRequest } from '../store/pruning-state';
import { sweepableMethods, sweepRuns } from '../store/run-queue';
import { useLab } from '../store/use-lab';
import { MethodPicker } from './MethodPicker';
import { ParamForm } from './ParamForm';
import { PruneResultView } from './PruneResultView';
import { PruneSettingsForm } from './PruneSettingsForm';
import { phaseNames, QueuePanel } from './QueuePanel';
import { DressChart, dressSteps } from './DressChart';
import { MovementChart, movementSteps } from './MovementChart';
import { SlebChart, SlebTable, slebSteps } from './SlebTrace';
import { SweepForm } from './SweepForm';

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

/** The sweep form wired to the store: methods × ratios × calibration texts → queued runs. */
function Sweep() {
  // Narrow selections: progress reports of the running run do not re-render the form.
  const allMethods = useLab((s) => s.pruning.methods);
  const formValues = useLab((s) => s.pruning.formValues);
  const settings = useLab((s) => s.pruning.settings);
  const sweep = useLab((s) => s.pruning.sweep);
  const numLayers = useLab((s) => s.model?.numLayers);
  const setSweep = useLab((s) => s.setSweep);
  const enqueueSweep = useLab((s) => s.enqueueSweep);
  const methods = useMemo(() => sweepableMethods(allMethods), [allMethods]);
  const preview = useMemo(
    () => sweepRuns(allMethods, formValues, settings, sweep, numLayers),
    [allMethods, formValues, settings, sweep, numLayers],
  );
  return (
    <details className="sweep" data-testid="sweep">
      <summary>Compare: sweep methods over ratios</summary>
      <p className="muted small">
        Queues one run per method × ratio × calibration text, each with the settings above and the method&apos;s other parameters.
      </p>
      <SweepForm methods={methods} sweep={sweep} preview={preview} canAdd={numLayers !== undefined} onChange={setSweep} onAdd={() => void enqueueSweep()} />
    </details>
  );
}

export function PrunePanel() {
  const pruning = useLab((s) => s.pruning);
  const model = useLab((s) => s.model);
  const busy = useLab(isBusy);
  const selectMethod = useLab((s) => s.selectMethod);
  const setParamValue = useLab((s) => s.setParamValue);
  const setPruneSettings = useLab((s) => s.setPruneSettings);
  const prune = useLab((s) => s.prune);
  const cancelPrune = useLab((s) => s.cancelPrune);
  const cancelQueued = useLab((s) => s.cancelQueued);
  const clearFinishedQueue = useLab((s) => s.clearFinishedQueue);
  const showError = useLab((s) => s.showError);
  const method = pruning.methods.find((m) => m.id === pruning.selectedMethodId) ?? null;
  const form = method ? (pruning.formValues[method.id] ?? {}) : {};
  const built = useMemo(
    () => (method ? buildPruneRequest(method, form, pruning.settings, model?.numLayers) : null),
    [method, form, pruning.settings, model?.numLayers],
  );
  const errors = built?.errors ?? {};
  const running = pruning.job.status === 'running';
  const queueActive = running || pruning.queue.some((item) => item.status === 'queued');
  const resultMethod = pruning.methods.find((m) => m.id === pruning.job.result?.methodId);

  return (
    <section className="card" aria-labelledby="prune-title" data-testid="prune-panel">
      <h2 id="prune-title">Prune</h2>
      {pruning.methodsStatus === 'loading' && <p className="muted">Listing methods…</p>}
      {pruning.methodsStatus === 'failed' && <p className="fail">The lab could not list its pruning methods.</p>}
      <MethodPicker methods={pruning.methods} selectedId={pruning.selectedMethodId} onSelect={selectMethod} />
      {method && (
        <fieldset className="settings" data-testid="method-params" data-method={method.id}>
          <legend>{method.label} parameters</legend>
          <ParamForm
            idPrefix={`param-${method.id}`}
            params={method.params}
            values={form}
            errors={errors}
            onChange={(name, value) => setParamValue(method.id, name, value)}
          />
        </fieldset>
      )}
      <PruneSettingsForm
        settings={pruning.settings}
        errors={errors}
        disabled={false}
        onChange={setPruneSettings}
        onFileError={(error) => showError(error, 'Reading the calibration text')}
      />
      {method && !method.needsCalibration && <p className="muted small">{method.label} needs no calibration data; the settings above only matter for evaluation.</p>}
      <div className="row">
        <button
          type="button"
          data-testid="prune-run"
          aria-describedby="prune-run-hint"
          onClick={() => void prune()}
          disabled={!model || !method || built?.errors !== undefined}
        >
          {busy || queueActive ? 'Run (add to queue)' : 'Run'}
        </button>
        <button type="button" data-testid="prune-cancel" onClick={cancelPrune} disabled={!running || pruning.job.cancelling}>
          {pruning.job.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
        <span id="prune-run-hint" className="muted run-hint">
          {busy || queueActive ? 'A job is under way: Run adds this run to the queue; it starts when the lab is free.' : 'Runs one at a time; later runs wait in the queue.'}
        </span>
      </div>
      <Sweep />
      <QueuePanel queue={pruning.queue} waitingForOtherJob={busy && !running} onCancel={cancelQueued} onClearFinished={clearFinishedQueue} />
      <LiveProgress />
      {pruning.job.result && <PruneResultView result={pruning.job.result} methodLabel={resultMethod?.label ?? pruning.job.result.methodId} />}
    </section>
  );
}
