// An experiment's settings as a URL query, so a link reproduces it: the selected method and its
// parameters, the calibration / evaluation / speed / generation settings and the sweep. Only values
// that differ from the defaults are written. Pure: no React, no window, no engine.

import type { MethodInfo } from '../lab/lab-api';
import { defaultFormValues, type FormValues } from './param-values';
import { defaultPruneSettings, type PruneSettings, type SweepForm } from './pruning-state';

export interface Experiment {
  selectedMethodId: string | null;
  /** The selected method's form values. */
  form: FormValues;
  settings: PruneSettings;
  sweep: SweepForm;
}

/** What a query sets; absent fields are left as they are. */
export interface ExperimentPatch {
  selectedMethodId?: string;
  form?: FormValues;
  settings?: Partial<PruneSettings>;
  sweep?: Partial<SweepForm>;
}

type SettingKey = Exclude<keyof PruneSettings, 'calibrationFile'>;
const bundledTexts = ['tinystories', 'wikitext2'] as const;
/** Settings that take one of a few values; the others are numbers as typed, flags, or free text. */
const choices: Partial<Record<SettingKey, readonly string[]>> = {
  calibrationText: bundledTexts, // a dropped file cannot travel in a link
  sampling: ['first', 'random'],
  evalText: ['same', 'other', ...bundledTexts],
};

const settingKeys = Object.keys(defaultPruneSettings()).filter((k) => k !== 'calibrationFile') as SettingKey[];
const flag = (value: boolean) => (value ? '1' : '0');

export function experimentToQuery(experiment: Experiment, methods: MethodInfo[]): string {
  const query = new URLSearchParams();
  const method = methods.find((m) => m.id === experiment.selectedMethodId);
  if (method) {
    query.set('method', method.id);
    const defaults = defaultFormValues(method.params);
    for (const spec of method.params) {
      const value = experiment.form[spec.name];
      if (value !== undefined && value !== defaults[spec.name]) query.set(`p.${spec.name}`, typeof value === 'boolean' ? flag(value) : value);
    }
  }
  const defaults = defaultPruneSettings();
  for (const key of settingKeys) {
    const value = experiment.settings[key];
    if (value === defaults[key] || (key === 'calibrationText' && value === 'file')) continue;
    query.set(key, typeof value === 'boolean' ? flag(value) : String(value));
  }
  const { sweep } = experiment;
  if (sweep.methodIds.length > 0) query.set('sweep.methods', sweep.methodIds.join(','));
  if (sweep.methodIds.length > 0 || sweep.ratios !== '0.25, 0.5') query.set('sweep.ratios', sweep.ratios);
  if (sweep.calibrationTexts.length > 0) query.set('sweep.texts', sweep.calibrationTexts.join(','));
  return query.toString();
}

/** Reads a query; unknown methods, parameters, settings and choices are ignored (a link never breaks the lab). */
export function experimentFromQuery(search: string, methods: MethodInfo[]): ExperimentPatch {
  const query = new URLSearchParams(search);
  const patch: ExperimentPatch = {};
  const method = methods.find((m) => m.id === query.get('method'));
  if (method) {
    patch.selectedMethodId = method.id;
    const form: FormValues = {};
    for (const spec of method.params) {
      const value = query.get(`p.${spec.name}`);
      if (value === null) continue;
      if (spec.type === 'boolean') form[spec.name] = value === '1' || value === 'true';
      else if (spec.type !== 'enum' || spec.options?.some((o) => o.value === value)) form[spec.name] = value;
    }
    patch.form = form;
  }
  const defaults = defaultPruneSettings();
  const settings: Partial<Record<SettingKey, string | boolean>> = {};
  for (const key of settingKeys) {
    const value = query.get(key);
    if (value === null) continue;
    if (typeof defaults[key] === 'boolean') settings[key] = value === '1' || value === 'true';
    else if (!choices[key] || choices[key].includes(value)) settings[key] = value;
  }
  if (Object.keys(settings).length > 0) patch.settings = settings as Partial<PruneSettings>;
  const sweep: Partial<SweepForm> = {};
  const listed = (name: string) => (query.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (query.has('sweep.methods')) sweep.methodIds = listed('sweep.methods').filter((id) => methods.some((m) => m.id === id && m.ratioParam));
  if (query.has('sweep.ratios')) sweep.ratios = query.get('sweep.ratios') ?? '';
  if (query.has('sweep.texts')) sweep.calibrationTexts = listed('sweep.texts').filter((t): t is SweepForm['calibrationTexts'][number] => (bundledTexts as readonly string[]).includes(t));
  if (Object.keys(sweep).length > 0) patch.sweep = sweep;
  return patch;
}
