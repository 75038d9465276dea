// The sweep form: methods × ratios × calibration texts, previewed as "N runs" and added to the run
// queue. Props only (the Prune panel wires it to the store); labelled controls, errors described inline.

import type { MethodInfo } from '../lab/lab-api';
import type { SweepForm as SweepFormValues } from '../store/pruning-state';
import type { SweepResult } from '../store/run-queue';
import './queue.css';

const texts = [
  { id: 'tinystories', label: 'TinyStories' },
  { id: 'wikitext2', label: 'WikiText-2' },
] as const;

interface Props {
  /** The sweepable methods (those with a ratio parameter). */
  methods: MethodInfo[];
  sweep: SweepFormValues;
  /** sweepRuns(...) of the current form: the runs it would queue, or what is wrong. */
  preview: SweepResult;
  canAdd: boolean;
  onChange: (sweep: Partial<SweepFormValues>) => void;
  onAdd: () => void;
}

function ErrorText(props: { id: string; text: string | undefined }) {
  return props.text ? <span id={props.id} className="field-error" data-testid={props.id}>{props.text}</span> : null;
}

const toggled = <T,>(list: T[], item: T, on: boolean): T[] => (on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item));

export function SweepForm(props: Props) {
  const { methods, sweep, preview, onChange } = props;
  const errors = preview.errors ?? {};
  const otherErrors = Object.entries(errors).filter(([key]) => key !== 'methods' && key !== 'ratios').map(([, text]) => text);
  const runs = preview.runs ?? [];
  const describedBy = (...ids: (string | false)[]) => ids.filter(Boolean).join(' ') || undefined;
  return (
    <div className="sweep-form" data-testid="sweep-form">
      <fieldset className="settings" aria-describedby={describedBy(errors.methods !== undefined && 'sweep-methods-error')}>
        <legend>Methods</legend>
        {methods.map((method) => (
          <label key={method.id} className="check">
            <input
              type="checkbox"
              data-testid={`sweep-methods-${method.id}`}
              checked={sweep.methodIds.includes(method.id)}
              onChange={(e) => onChange({ methodIds: toggled(sweep.methodIds, method.id, e.target.checked) })}
            />
            {method.label} <span className="muted small">({method.ratioParam?.unit === 'blocks' ? 'blocks' : method.ratioParam?.name})</span>
          </label>
        ))}
        <ErrorText id="sweep-methods-error" text={errors.methods} />
      </fieldset>
      <div className="settings">
        <div className="param">
          <label htmlFor="sweep-ratios">Ratios</label>
          <input
            id="sweep-ratios"
            type="text"
            inputMode="decimal"
            data-testid="sweep-ratios"
            value={sweep.ratios}
            aria-invalid={errors.ratios !== undefined}
            aria-describedby={describedBy('sweep-ratios-help', errors.ratios !== undefined && 'sweep-ratios-error')}
            onChange={(e) => onChange({ ratios: e.target.value })}
          />
          <span id="sweep-ratios-help" className="help">
            0..1; block methods remove round(ratio × layers) blocks. Separate with commas, e.g. 0.25, 0.5.
          </span>
          <ErrorText id="sweep-ratios-error" text={errors.ratios} />
        </div>
        <fieldset className="sweep-texts" aria-describedby="sweep-texts-help">
          <legend>Calibration texts</legend>
          {texts.map((text) => (
            <label key={text.id} className="check">
              <input
                type="checkbox"
                data-testid={`sweep-text-${text.id}`}
                checked={sweep.calibrationTexts.includes(text.id)}
                onChange={(e) => onChange({ calibrationTexts: toggled(sweep.calibrationTexts, text.id, e.target.checked) })}
              />
              {text.label}
            </label>
          ))}
          <span id="sweep-texts-help" className="help">
            None ticked: the calibration text above. Ticked: one run per text, all scored on the same held-out text, which cannot also be a calibration text.
          </span>
        </fieldset>
      </div>
      {otherErrors.length > 0 && (
        <p className="field-error" data-testid="sweep-errors">
          {otherErrors.join(' ')}
        </p>
      )}
      <div className="row">
        <button type="button" data-testid="sweep-add" disabled={!props.canAdd || runs.length === 0} onClick={props.onAdd} aria-describedby="sweep-count">
          Add sweep to queue
        </button>
        <output id="sweep-count" data-testid="sweep-count" data-value={runs.length} aria-live="polite">
          {runs.length === 1 ? '1 run' : `${runs.length} runs`}
        </output>
      </div>
      {runs.length > 0 && (
        <p className="muted small sweep-preview" data-testid="sweep-preview">
          {runs.map((run) => run.label).join(' | ')}
        </p>
      )}
    </div>
  );
}
