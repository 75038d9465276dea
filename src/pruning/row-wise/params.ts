// Shared parameter declarations of the row-wise methods and one validator that fills defaults and
// rejects out-of-range values with LabError('bad-argument'). Pure.

import { LabError } from '../../errors';
import type { ParamSpec, ParamValue } from '../method';

export const sparsityParam: ParamSpec = {
  name: 'sparsity',
  label: 'Sparsity',
  type: 'number',
  default: 0.5,
  min: 0,
  max: 0.99,
  step: 0.01,
  help: 'Fraction 0..1 of the weights of every block linear layer set to zero (embeddings and head excluded).',
};

export const patternParam: ParamSpec = {
  name: 'pattern',
  label: 'Pattern',
  type: 'enum',
  default: 'unstructured',
  options: [
    { value: 'unstructured', label: 'Unstructured' },
    { value: '2:4', label: '2:4 (50%)' },
    { value: '4:8', label: '4:8 (50%)' },
  ],
  help: 'Unstructured uses the sparsity above; N:M zeros N of every M consecutive weights along the input dimension (sparsity = N/M).',
};

export const baseParam: ParamSpec = {
  name: 'base',
  label: 'Base method',
  type: 'enum',
  default: 'wanda',
  options: [
    { value: 'magnitude', label: 'Magnitude' },
    { value: 'wanda', label: 'Wanda' },
    { value: 'sparsegpt', label: 'SparseGPT' },
  ],
  help: 'The scorer that prunes each layer once its sparsity is allocated.',
};

/** Defaults filled in, numbers range-checked, enums checked against their options. */
export function resolveParams(methodId: string, specs: ParamSpec[], values: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const spec of specs) {
    const v = values[spec.name] ?? spec.default;
    if (spec.type === 'number' || spec.type === 'integer') {
      if (typeof v !== 'number' || !Number.isFinite(v) || (spec.type === 'integer' && !Number.isInteger(v)))
        throw new LabError('bad-argument', `${methodId}: ${spec.name} must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${String(v)}`);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))
        throw new LabError('bad-argument', `${methodId}: ${spec.name} must be in [${spec.min}, ${spec.max}], got ${v}`);
    } else if (spec.type === 'enum') {
      if (!spec.options?.some((o) => o.value === v))
        throw new LabError('bad-argument', `${methodId}: ${spec.name} must be one of ${spec.options?.map((o) => o.value).join(', ')}, got ${String(v)}`);
    } else if (spec.type === 'boolean' && typeof v !== 'boolean') {
      throw new LabError('bad-argument', `${methodId}: ${spec.name} must be true or false, got ${String(v)}`);
    }
    out[spec.name] = v;
  }
  return out;
}
