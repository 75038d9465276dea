// The Prune panel: pick a method, fill its declared parameters and the calibration / evaluation
// settings, run with live progress (SLEB candidates as they arrive), cancel, read the result.

import { useMemo } from 'react';
import { isBusy } from '../store/lab-state';
import { buildPruneRequest } from '../store/pruning-state';
import { useLab } from '../store/use-lab';
import { MethodPicker } from './MethodPicker';
import { ParamForm } from './ParamForm';
import { PruneResultView } from './PruneResultView';
import { PruneSettingsForm } from './PruneSettingsForm';
import { SlebChart, SlebTable, slebSteps } from './SlebTrace';

const phaseNames = {
  'calibration-data': 'Preparing calibration data',
  planning: 'Planning',
  applying: 'Applying the plan',
  'evaluating-dense': 'Perplexity of the dense model',
  'evaluating-pruned': 'Perplexity of the pruned model',
  speed: 'Measuring speed',
} as const;

function LiveProgress() {
  const job = useLab((s) => s.pruning.job);
  const numLayers = useLab((s) => s.model?.numLayers ?? 0);
  const steps = useMemo(() => slebSteps(job.trace), [job.trace]);
  const { status, progress } = job;
  return (
    <>
      <div className="status" data-testid="prune-status" data-status={status} data-phase={progress?.phase ?? ''} aria-live="polite">
        {status === 'running' && (
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
      {steps.length > 0 && (status === 'running' || status === 'cancelled') && (
        <div className="live" data-testid="sleb-live">
          <SlebChart steps={steps} numBlocks={numLayers} />
          <SlebTable steps={steps} testId="sleb-live-table" />
        </div>
      )}
    </>
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
  const showError = useLab((s) => s.showError);
  const method = pruning.methods.find((m) => m.id === pruning.selectedMethodId) ?? null;
  const form = method ? (pruning.formValues[method.id] ?? {}) : {};
  const built = useMemo(
    () => (method ? buildPruneRequest(method, form, pruning.settings, model?.numLayers) : null),
    [method, form, pruning.settings, model?.numLayers],
  );
  const errors = built?.errors ?? {};
  const running = pruning.job.status === 'running';
  const resultMethod = pruning.methods.find((m) => m.id === pruning.job.result?.methodId);

  return (
    <section className="card" aria-labelledby="prune-title" data-testid="prune-panel">
      <h2 id="prune-title">Prune</h2>
      {pruning.methodsStatus === 'loading' && <p className="muted">Listing methods…</p>}
      {pruning.methodsStatus === 'failed' && <p className="fail">The lab could not list its pruning methods.</p>}
      <MethodPicker methods={pruning.methods} selectedId={pruning.selectedMethodId} disabled={running} onSelect={selectMethod} />
      {method && (
        <fieldset className="settings" data-testid="method-params" data-method={method.id}>
          <legend>{method.label} parameters</legend>
          <ParamForm
            idPrefix={`param-${method.id}`}
            params={method.params}
            values={form}
            errors={errors}
            disabled={running}
            onChange={(name, value) => setParamValue(method.id, name, value)}
          />
        </fieldset>
      )}
      <PruneSettingsForm
        settings={pruning.settings}
        errors={errors}
        disabled={running}
        onChange={setPruneSettings}
        onFileError={(error) => showError(error, 'Reading the calibration text')}
      />
      {method && !method.needsCalibration && <p className="muted small">{method.label} needs no calibration data; the settings above only matter for evaluation.</p>}
      <div className="row">
        <button type="button" data-testid="prune-run" onClick={() => void prune()} disabled={busy || !model || !method || built?.errors !== undefined}>
          Run
        </button>
        <button type="button" data-testid="prune-cancel" onClick={cancelPrune} disabled={!running}>
          Cancel
        </button>
      </div>
      <LiveProgress />
      {pruning.job.result && <PruneResultView result={pruning.job.result} methodLabel={resultMethod?.label ?? pruning.job.result.methodId} />}
    </section>
  );
}
