// The Prune panel (the controls): pick a method, fill its declared parameters, Run (or queue behind the
// running one) right below them, then the calibration / evaluation settings, the sweep and the queue.
// The running item's live view and the result are the results column's CurrentRunPanel.

import { useMemo } from 'react';
import { isBusy } from '../store/lab-state';
import { buildPruneRequest } from '../store/pruning-state';
import { sweepableMethods, sweepRuns } from '../store/run-queue';
import { useLab } from '../store/use-lab';
import { MethodPaper, MethodPicker } from './MethodPicker';
import { ParamForm } from './ParamForm';
import { PruneSettingsForm } from './PruneSettingsForm';
import { QueuePanel } from './QueuePanel';
import { SweepForm } from './SweepForm';

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

  return (
    <section className="card" aria-labelledby="prune-title" data-testid="prune-panel">
      <h2 id="prune-title" tabIndex={-1}>Prune</h2>
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
          {busy || queueActive ? 'A job is under way: Run adds this run to the queue; it starts when the lab is free.' : 'Runs with the settings below, one at a time; later runs wait in the queue.'}
        </span>
      </div>
      {method && <MethodPaper method={method} />}
      <PruneSettingsForm
        settings={pruning.settings}
        errors={errors}
        disabled={false}
        onChange={setPruneSettings}
        onFileError={(error) => showError(error, 'Reading the calibration text')}
      />
      {method && !method.needsCalibration && <p className="muted small">{method.label} needs no calibration data; the settings above only matter for evaluation.</p>}
      <Sweep />
      <QueuePanel queue={pruning.queue} waitingForOtherJob={busy && !running} onCancel={cancelQueued} onClearFinished={clearFinishedQueue} />
    </section>
  );
}
