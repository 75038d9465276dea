// Pure helpers of the run queue: a sweep form (methods × ratios × calibration texts) → the PruneRequests
// to queue, each with a short label. Must not import React, the store's actions or the engine.

import type { MethodInfo, PruneRequest } from '../lab/lab-api';
import type { FormValues } from './param-values';
import { buildPruneRequest, evaluationText, type PruneSettings, type SweepForm } from './pruning-state';

export interface SweepRun {
  method: MethodInfo;
  request: PruneRequest;
  label: string;
}

export type SweepResult = { runs: SweepRun[]; errors?: undefined } | { runs?: undefined; errors: Record<string, string> };

const textNames: Record<'tinystories' | 'wikitext2', string> = { tinystories: 'TinyStories', wikitext2: 'WikiText-2' };

/** Methods a sweep can vary (those declaring a ratio parameter). */
export function sweepableMethods(methods: MethodInfo[]): MethodInfo[] {
  return methods.filter((m) => m.ratioParam !== undefined);
}

/** "0.25, 0.5 0.75" → numbers (commas and/or spaces separate); an error in words when any item is not a ratio 0..1. */
export function parseRatios(text: string): { ratios: number[] } | { error: string } {
  const items = text.split(/[\s,;]+/).filter((item) => item !== '');
  if (items.length === 0) return { error: 'Ratios: enter one or more numbers between 0 and 1, e.g. 0.25, 0.5.' };
  const ratios: number[] = [];
  for (const item of items) {
    const value = Number(item);
    if (!Number.isFinite(value) || value < 0 || value > 1) return { error: `Ratios: "${item}" is not a number between 0 and 1.` };
    if (!ratios.includes(value)) ratios.push(value);
  }
  return { ratios };
}

/** Blocks a 'blocks' method removes at ratio r: round(r · layers). */
export function blocksForRatio(ratio: number, numLayers: number): number {
  return Math.round(ratio * numLayers);
}

function calibrationName(request: PruneRequest): string {
  const text = request.calibration.text;
  return text.kind === 'bundled' ? textNames[text.id] : text.name;
}

/**
 * "Wanda · sparsity=0.5 · TinyStories ×16": the method, its ratio parameter (every parameter when it
 * has none, e.g. drop-blocks' list), and the calibration text × windows when the method uses calibration.
 */
export function runLabel(method: MethodInfo, request: PruneRequest): string {
  const names = method.ratioParam ? [method.ratioParam.name] : method.params.map((p) => p.name);
  const params = names.map((name) => `${name}=${String(request.params[name] ?? '')}`).join(' ');
  const parts = [method.label, params];
  if (method.needsCalibration) parts.push(`${calibrationName(request)} ×${request.calibration.windows ?? 64}`);
  return parts.filter((part) => part !== '').join(' · ');
}

/** What makes two requests give the same result: calibration does not matter to a data-free method. */
function requestKey(method: MethodInfo, request: PruneRequest): string {
  const { calibration, ...rest } = request;
  return JSON.stringify(method.needsCalibration ? request : rest);
}

/**
 * The sweep's runs: every chosen method (in the methods' order) × ratio × calibration text. A
 * 'fraction' method gets ratio r as its ratio parameter; a 'blocks' method removes round(r · layers)
 * blocks. The method's other form values and the settings apply. With several calibration texts the
 * evaluation text is the one the settings give for their own calibration, so perplexities compare.
 * Identical requests (e.g. two ratios rounding to the same block count) are queued once.
 */
export function sweepRuns(
  methods: MethodInfo[],
  formValues: Record<string, FormValues>,
  settings: PruneSettings,
  sweep: SweepForm,
  numLayers: number | undefined,
): SweepResult {
  const errors: Record<string, string> = {};
  const chosen = methods.filter((m) => sweep.methodIds.includes(m.id));
  const notSweepable = chosen.filter((m) => !m.ratioParam);
  if (chosen.length === 0) errors.methods = 'Methods: choose at least one method.';
  else if (notSweepable.length > 0) errors.methods = `Methods: ${notSweepable.map((m) => m.label).join(', ')} has no ratio to sweep.`;
  const parsed = parseRatios(sweep.ratios);
  if ('error' in parsed) errors.ratios = parsed.error;
  if (Object.keys(errors).length > 0) return { errors };
  const ratios = 'ratios' in parsed ? parsed.ratios : [];

  const texts = sweep.calibrationTexts.length > 0 ? sweep.calibrationTexts : [null];
  // One held-out text for every run (its last quarter), so perplexities compare; runs calibrated on that
  // text draw from its first three quarters (buildPruneRequest), never from the scored windows.
  const fixedEvalText = sweep.calibrationTexts.length > 0 ? evaluationText(settings) : null;
  const ratioProblems: string[] = [];
  const runs: SweepRun[] = [];
  const seen = new Set<string>();
  for (const method of chosen) {
    const ratioParam = method.ratioParam!;
    for (const ratio of ratios) {
      let value = ratio;
      if (ratioParam.unit === 'blocks') {
        if (numLayers === undefined) {
          errors.model = `${method.label}: load a model first (its block count turns ratios into blocks).`;
          continue;
        }
        value = blocksForRatio(ratio, numLayers);
        if (value === 0 || value >= numLayers) {
          ratioProblems.push(
            `${method.label}: ratio ${ratio} removes round(${ratio} × ${numLayers}) = ${value} of ${numLayers} blocks; ` +
              (value === 0 ? 'use a larger ratio.' : 'at least one block must stay.'),
          );
          continue;
        }
      }
      for (const text of texts) {
        const runSettings: PruneSettings = text ? { ...settings, calibrationText: text, evalText: fixedEvalText ?? settings.evalText } : settings;
        const form = { ...formValues[method.id], [ratioParam.name]: String(value) };
        const built = buildPruneRequest(method, form, runSettings, numLayers);
        if (built.errors) {
          for (const [key, message] of Object.entries(built.errors)) {
            if (key === ratioParam.name) ratioProblems.push(`${method.label} at ratio ${ratio}: ${message}`);
            else if (method.params.some((p) => p.name === key)) errors[`${method.id}.${key}`] = `${method.label}: ${message}`;
            else errors[key] = message;
          }
          continue;
        }
        const key = requestKey(method, built.request);
        if (seen.has(key)) continue;
        seen.add(key);
        runs.push({ method, request: built.request, label: runLabel(method, built.request) });
      }
    }
  }
  if (ratioProblems.length > 0) errors.ratios = [...new Set(ratioProblems)].join(' ');
  return Object.keys(errors).length > 0 ? { errors } : { runs };
}
