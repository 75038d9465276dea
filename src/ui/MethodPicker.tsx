// Method picker: the lab's methods grouped by kind, each with its one-sentence summary. The selected
// method's paper (MethodPaper, a plain link: nothing is fetched at run time) sits below the Run button:
// one link, not one per method, keeps Run a few Tab stops from the top (the intro lists every paper).

import type { MethodInfo } from '../lab/lab-api';

export const kindTitles: Record<MethodInfo['kind'], string> = {
  blocks: 'Remove blocks (real speed-up)',
  sparsity: 'Sparsity (zeroed weights; no speed-up on dense kernels)',
  width: 'Narrower model: hidden channels, attention heads, FFN neurons (real speed-up)',
};

export function MethodPicker(props: { methods: MethodInfo[]; selectedId: string | null; disabled?: boolean; onSelect: (id: string) => void }) {
  const kinds = (Object.keys(kindTitles) as MethodInfo['kind'][]).filter((kind) => props.methods.some((m) => m.kind === kind));
  return (
    <div className="method-picker" data-testid="method-picker">
      {kinds.map((kind) => (
        <fieldset key={kind} className="method-group" data-testid={`method-group-${kind}`}>
          <legend>{kindTitles[kind]}</legend>
          {props.methods
            .filter((method) => method.kind === kind)
            .map((method) => (
              <div key={method.id} className={method.id === props.selectedId ? 'method selected' : 'method'}>
                <label>
                  <input
                    type="radio"
                    name="prune-method"
                    value={method.id}
                    data-testid={`method-${method.id}`}
                    checked={method.id === props.selectedId}
                    disabled={props.disabled}
                    aria-describedby={`method-${method.id}-summary`}
                    onChange={() => props.onSelect(method.id)}
                  />{' '}
                  <strong>{method.label}</strong>
                  {method.needsCalibration ? '' : <span className="muted small"> (no calibration data)</span>}
                </label>
                <span id={`method-${method.id}-summary`} className="help">
                  {method.summary}
                </span>
              </div>
            ))}
        </fieldset>
      ))}
    </div>
  );
}

/** The selected method's paper. */
export function MethodPaper({ method }: { method: MethodInfo }) {
  return (
    <p className="help method-paper" data-testid="method-paper">
      {method.label} comes from <a href={method.paper.url} target="_blank" rel="noreferrer" data-testid={`method-paper-${method.id}`}>{method.paper.title}</a>
      <span className="visually-hidden"> (paper, opens in a new tab)</span>
    </p>
  );
}
