// One row of the Runs table: the run's figures, its marks (number in finishing order, ★ best at its
// ratio, baseline, "same as #k") and its actions (RunActions).

import { paramsText, pplDelta, realisedSparsity, type RunRecord } from '../../store/run-record';
import { shownRatio, type RunMark } from '../../store/run-marks';
import { formatCount, formatNumber } from '../format';
import { RunActions } from './RunActions';
import { fp32BytesAfter, percentText } from './run-views-data';

const maybe = (value: number | null, digits = 2) => (value === null ? '—' : formatNumber(value, digits));

/** A text's name without its part and extension, for a narrow cell ("tinystories-valid-sample (first three quarters)" → "tinystories-valid-sample"); the title has it whole. */
const shortTextName = (name: string) => name.replace(/ \((first three quarters|held-out last quarter)\)$/, '').replace(/\.txt$/, '');

export function RunRow({ run, mark, otherModel, baseline }: { run: RunRecord; mark: RunMark; otherModel: boolean; baseline: RunRecord | null }) {
  const delta = pplDelta(run);
  const bytes = fp32BytesAfter(run);
  const realised = realisedSparsity(run);
  return (
    <tr
      data-testid="run-row"
      data-run-id={run.id}
      data-method={run.methodId}
      data-other-model={otherModel}
      data-best={mark.best}
      data-baseline={baseline?.id === run.id}
      data-duplicate-of={mark.duplicateOf ?? ''}
      className={[mark.best ? 'best-run' : '', baseline?.id === run.id ? 'baseline-run' : ''].filter(Boolean).join(' ') || undefined}
    >
      <td data-testid="run-number" data-value={mark.number}>
        #{mark.number}
        {mark.best && <span className="run-mark" data-testid="run-best" title="Lowest perplexity at this ratio (same held-out windows)"> ★ best</span>}
        {baseline?.id === run.id && <span className="run-mark" data-testid="run-baseline"> baseline</span>}
        {mark.duplicateOf !== null && <span className="run-mark muted" data-testid="run-duplicate" title="Same method, parameters, calibration and evaluation as an earlier run"> same as #{mark.duplicateOf}</span>}
      </td>
      <td>
        {run.methodLabel}
        {otherModel && <span className="other-model small" data-testid="run-other-model"> (other model: {run.modelName})</span>}
        {run.importMismatch && (
          <span className="fail small" data-testid="run-import-mismatch" title="Made on a model loaded although its import check failed">
            {' '}⚠ import check failed
          </span>
        )}
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
        {run.pplWindows !== null && (
          <span className="muted small" title={`${run.pplWindows} windows × ${run.pplSeqLen} tokens of ${run.pplTextName}`}>
            {' '}
            {run.pplWindows}×{run.pplSeqLen}
          </span>
        )}
      </td>
      <td data-testid="run-ppl-delta" data-value={delta ?? ''}>
        {delta === null ? '—' : `${delta >= 0 ? '+' : ''}${formatNumber(delta)}`}
        {baseline && baseline.id !== run.id && baseline.pplAfter !== null && run.pplAfter !== null && baseline.pplTextName === run.pplTextName && (
          <span className="muted small" data-testid="run-vs-baseline"> ({run.pplAfter - baseline.pplAfter >= 0 ? '+' : ''}{formatNumber(run.pplAfter - baseline.pplAfter)} vs baseline)</span>
        )}
      </td>
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
          <span title={`${run.calibration.windows} windows × ${run.calibration.seqLen} tokens of ${run.calibration.textName} (${run.calibration.sampling}, seed ${run.calibration.seed})`}>
            {shortTextName(run.calibration.textName)} <span className="muted small">{run.calibration.windows}×{run.calibration.seqLen}</span>
          </span>
        )}
      </td>
      <td data-testid="run-parameters" data-value={run.parametersAfter}>
        {formatCount(run.parametersBefore)} → {formatCount(run.parametersAfter)}
      </td>
      <td data-testid="run-size" data-value={bytes} title="fp32 weights of the pruned model">
        {(bytes / 1e6).toFixed(2)}
      </td>
      <td data-testid="run-layers" data-value={run.layersAfter}>
        {run.layersBefore} → {run.layersAfter}
      </td>
      <td data-testid="run-elapsed" data-value={run.elapsedMs}>{(run.elapsedMs / 1000).toFixed(1)}</td>
      <td className="run-actions">
        <RunActions run={run} otherModel={otherModel} isBaseline={baseline?.id === run.id} />
      </td>
    </tr>
  );
}

