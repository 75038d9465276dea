// A method's form values from its declared ParamSpecs: defaults, and parsing/validation of what the
// user typed into request values. Pure (no React): the store keeps the typed values, the UI renders them.

import type { ParamSpec, ParamValue } from '../pruning/method';

/** What a control holds: text for number / integer / block-list inputs, the option for enums, a flag for checkboxes. */
export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

export interface ParsedParams {
  values: Record<string, ParamValue>;
  /** Parameter name → what is wrong, in words; empty when every value is valid. */
  errors: Record<string, string>;
}

/** The control's starting value for a declared default. */
export function defaultFormValue(spec: ParamSpec): FormValue {
  if (spec.type === 'boolean') return spec.default === true;
  return String(spec.default);
}

export function defaultFormValues(params: ParamSpec[]): FormValues {
  return Object.fromEntries(params.map((spec) => [spec.name, defaultFormValue(spec)]));
}

/** "1, 3,3" → [1, 3]: ascending, no duplicates; null when any item is not a whole number ≥ 0. */
export function parseBlockList(text: string): number[] | null {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const blocks: number[] = [];
  for (const item of items) {
    if (!/^\d+$/.test(item)) return null;
    blocks.push(Number(item));
  }
  return [...new Set(blocks)].sort((a, b) => a - b);
}

function rangeText(spec: ParamSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `between ${spec.min} and ${spec.max}`;
  if (spec.min !== undefined) return `at least ${spec.min}`;
  return `at most ${spec.max}`;
}

/** One value, checked against its spec; `numLayers` bounds block indices when a model is loaded. */
export function parseParam(spec: ParamSpec, raw: FormValue | undefined, numLayers?: number): { value: ParamValue } | { error: string } {
  const value = raw ?? defaultFormValue(spec);
  switch (spec.type) {
    case 'boolean':
      return { value: value === true || value === 'true' };
    case 'enum': {
      const text = String(value);
      if (!spec.options?.some((option) => option.value === text)) {
        return { error: `${spec.label}: choose one of ${(spec.options ?? []).map((o) => o.label).join(', ')}.` };
      }
      return { value: text };
    }
    case 'block-list': {
      const blocks = parseBlockList(String(value));
      if (blocks === null) return { error: `${spec.label}: write block indices separated by commas, e.g. 1,3.` };
      const tooHigh = numLayers !== undefined ? blocks.find((block) => block >= numLayers) : undefined;
      if (tooHigh !== undefined) return { error: `${spec.label}: block ${tooHigh} does not exist (the model has blocks 0–${numLayers! - 1}).` };
      if (numLayers !== undefined && blocks.length >= numLayers) return { error: `${spec.label}: at least one block must stay.` };
      return { value: blocks.join(',') };
    }
    case 'number':
    case 'integer': {
      const text = String(value).trim();
      const number = text === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(number)) return { error: `${spec.label}: enter a number.` };
      if (spec.type === 'integer' && !Number.isInteger(number)) return { error: `${spec.label}: enter a whole number.` };
      if ((spec.min !== undefined && number < spec.min) || (spec.max !== undefined && number > spec.max)) {
        return { error: `${spec.label}: must be ${rangeText(spec)}, got ${number}.` };
      }
      return { value: number };
    }
  }
}

/** Every declared parameter parsed; values the form does not hold take their defaults. */
export function parseParams(params: ParamSpec[], form: FormValues, numLayers?: number): ParsedParams {
  const parsed: ParsedParams = { values: {}, errors: {} };
  for (const spec of params) {
    const result = parseParam(spec, form[spec.name], numLayers);
    if ('error' in result) parsed.errors[spec.name] = result.error;
    else parsed.values[spec.name] = result.value;
  }
  return parsed;
}
