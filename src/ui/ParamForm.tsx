// A method's form, built only from its declared ParamSpecs (no per-method code): number and integer
// inputs with min/max/step, enum selects, checkboxes, block-list text. Help text describes each control.

import type { ParamSpec } from '../pruning/method';
import type { FormValue, FormValues } from '../store/param-values';

export interface ParamFormProps {
  /** Prefix of element ids, unique on the page (e.g. the method id). */
  idPrefix: string;
  params: ParamSpec[];
  values: FormValues;
  /** Parameter name → what is wrong with its value. */
  errors: Record<string, string>;
  disabled?: boolean;
  onChange: (name: string, value: FormValue) => void;
}

function ParamControl({ spec, id, value, invalid, describedBy, disabled, onChange }: {
  spec: ParamSpec;
  id: string;
  value: FormValue | undefined;
  invalid: boolean;
  describedBy: string;
  disabled?: boolean;
  onChange: (value: FormValue) => void;
}) {
  const common = {
    id,
    'data-testid': `param-${spec.name}`,
    'aria-describedby': describedBy,
    'aria-invalid': invalid || undefined,
    disabled,
  };
  switch (spec.type) {
    case 'boolean':
      return <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
    case 'enum':
      return (
        <select {...common} value={String(value ?? spec.default)} onChange={(e) => onChange(e.target.value)}>
          {(spec.options ?? []).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      );
    case 'block-list':
      return (
        <input type="text" inputMode="numeric" placeholder="e.g. 1,3" {...common} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} />
      );
    case 'number':
    case 'integer':
      return (
        <input
          type="number"
          {...common}
          min={spec.min}
          max={spec.max}
          step={spec.step ?? (spec.type === 'integer' ? 1 : 'any')}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}

export function ParamForm({ idPrefix, params, values, errors, disabled, onChange }: ParamFormProps) {
  if (params.length === 0) return <p className="muted small">This method has no parameters.</p>;
  return (
    <div className="param-form" data-testid="param-form">
      {params.map((spec) => {
        const id = `${idPrefix}-${spec.name}`;
        const helpId = `${id}-help`;
        const errorId = `${id}-error`;
        const error = errors[spec.name];
        const control = (
          <ParamControl
            spec={spec}
            id={id}
            value={values[spec.name]}
            invalid={error !== undefined}
            describedBy={error ? `${helpId} ${errorId}` : helpId}
            disabled={disabled}
            onChange={(value) => onChange(spec.name, value)}
          />
        );
        return (
          <div className={spec.type === 'boolean' ? 'param param-check' : 'param'} key={spec.name}>
            {spec.type === 'boolean' ? (
              <label htmlFor={id} className="check">
                {control} {spec.label}
              </label>
            ) : (
              <>
                <label htmlFor={id}>{spec.label}</label>
                {control}
              </>
            )}
            <span id={helpId} className="help">
              {spec.help}
            </span>
            {error && (
              <span id={errorId} className="field-error" data-testid={`param-error-${spec.name}`} role="alert">
                {error}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}
