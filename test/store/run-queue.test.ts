// sweepRuns: the cross product methods × ratios × calibration texts, block rounding, labels, dedupe,
// and every way the sweep form can be wrong.

import { describe, expect, it } from 'vitest';
import type { MethodInfo } from '../../src/lab/lab-api';
import { defaultPruneSettings, formValuesFor, type SweepForm } from '../../src/store/pruning-state';
import { blocksForRatio, parseRatios, runLabel, sweepRuns, sweepableMethods } from '../../src/store/run-queue';
import { fakeMethods } from '../lab/fake-lab';

/** The fake methods with the ratio parameters the real ones declare, plus a data-free one. */
function methods(): MethodInfo[] {
  const [dropBlocks, sleb, wanda] = fakeMethods();
  const magnitude: MethodInfo = { ...wanda, id: 'magnitude', label: 'Magnitude', needsCalibration: false, params: [wanda.params[0]] };
  return [
    dropBlocks,
    { ...sleb, ratioParam: { name: 'numBlocks', unit: 'blocks' } },
    { ...wanda, ratioParam: { name: 'sparsity', unit: 'fraction' } },
    { ...magnitude, ratioParam: { name: 'sparsity', unit: 'fraction' } },
  ];
}

const settings = { ...defaultPruneSettings(), generate: false, measureSpeed: false };
const sweep = (s: Partial<SweepForm>): SweepForm => ({ methodIds: [], ratios: '0.5', calibrationTexts: [], ...s });
const forms = formValuesFor(methods());

describe('sweepRuns', () => {
  it('crosses methods × ratios × calibration texts, in the methods\' order, with the other form values kept', () => {
    const form = { ...forms, wanda: { ...forms.wanda, pattern: '2:4' } };
    const noEval = { ...settings, evaluate: false };
    const out = sweepRuns(methods(), form, noEval, sweep({ methodIds: ['wanda', 'sleb'], ratios: '0.2, 0.4', calibrationTexts: ['tinystories', 'wikitext2'] }), 5);
    expect(out.errors).toBeUndefined();
    const runs = out.runs!;
    expect(runs).toHaveLength(2 * 2 * 2);
    expect(runs.map((r) => [r.method.id, r.request.params[r.method.ratioParam!.name], (r.request.calibration.text as { id: string }).id])).toEqual([
      ['sleb', 1, 'tinystories'], ['sleb', 1, 'wikitext2'], ['sleb', 2, 'tinystories'], ['sleb', 2, 'wikitext2'],
      ['wanda', 0.2, 'tinystories'], ['wanda', 0.2, 'wikitext2'], ['wanda', 0.4, 'tinystories'], ['wanda', 0.4, 'wikitext2'],
    ]);
    expect(runs.filter((r) => r.method.id === 'wanda').every((r) => r.request.params.pattern === '2:4')).toBe(true);
    expect(runs[4].label).toBe('Wanda · sparsity=0.2 · TinyStories ×16');
    expect(runs[1].label).toBe('SLEB · numBlocks=1 · WikiText-2 ×16');
  });

  it('evaluates every run on the same held-out quarter; runs calibrated on that text read only its first three quarters', () => {
    const one = sweepRuns(methods(), forms, settings, sweep({ methodIds: ['wanda', 'sleb'], ratios: '0.2', calibrationTexts: ['wikitext2'] }), 5);
    expect(new Set(one.runs!.map((r) => JSON.stringify(r.request.evaluation)))).toEqual(new Set([JSON.stringify({ text: { kind: 'bundled', id: 'tinystories' }, part: 'tail', seqLen: 128, maxWindows: 4 })]));
    const both = sweepRuns(methods(), forms, settings, sweep({ methodIds: ['wanda'], ratios: '0.2', calibrationTexts: ['tinystories', 'wikitext2'] }), 5);
    expect(both.errors).toBeUndefined();
    const byText = Object.fromEntries(both.runs!.map((r) => [(r.request.calibration.text as { id: string }).id, r.request]));
    expect(byText.tinystories.calibration.part).toBe('head');
    expect(byText.wikitext2.calibration.part).toBeUndefined();
    expect(byText.tinystories.evaluation).toEqual(byText.wikitext2.evaluation);
    expect(byText.wikitext2.evaluation).toMatchObject({ text: { kind: 'bundled', id: 'tinystories' }, part: 'tail' });
  });

  it('uses the settings\' calibration when no text is ticked', () => {
    const out = sweepRuns(methods(), forms, { ...settings, calibrationText: 'wikitext2', calibrationWindows: '3' }, sweep({ methodIds: ['wanda'], ratios: '0.3' }), 5);
    expect(out.runs).toHaveLength(1);
    expect(out.runs![0].request.calibration).toMatchObject({ text: { kind: 'bundled', id: 'wikitext2' }, windows: 3 });
    expect(out.runs![0].request.evaluation?.text).toEqual({ kind: 'bundled', id: 'wikitext2' });
    expect(out.runs![0].request.calibration.part).toBe('head');
  });

  it('turns a ratio into round(r × layers) blocks and drops requests that come out the same', () => {
    expect(blocksForRatio(0.3, 5)).toBe(2);
    expect(blocksForRatio(0.5, 5)).toBe(3);
    const out = sweepRuns(methods(), forms, settings, sweep({ methodIds: ['sleb'], ratios: '0.2, 0.25, 0.3, 0.35' }), 5);
    // 0.2 → 1, 0.25 → round(1.25) = 1 (duplicate), 0.3 → 2, 0.35 → round(1.75) = 2 (duplicate).
    expect(out.runs!.map((r) => r.request.params.numBlocks)).toEqual([1, 2]);
  });

  it('queues a data-free method once per ratio whatever the calibration texts, labelled without them', () => {
    const out = sweepRuns(methods(), forms, settings, sweep({ methodIds: ['magnitude'], ratios: '0.5 0.5, 0.7', calibrationTexts: ['tinystories', 'wikitext2'] }), 5);
    expect(out.runs!.map((r) => r.label)).toEqual(['Magnitude · sparsity=0.5', 'Magnitude · sparsity=0.7']);
  });

  it('refuses block counts of 0 or every block, naming the method and the rounding', () => {
    const zero = sweepRuns(methods(), forms, settings, sweep({ methodIds: ['sleb'], ratios: '0.05' }), 5);
    expect(zero.errors?.ratios).toContain('SLEB: ratio 0.05 removes round(0.05 × 5) = 0 of 5 blocks');
    const all = sweepRuns(methods(), forms, settings, sweep({ methodIds: ['sleb'], ratios: '0.95' }), 5);
    expect(all.errors?.ratios).toContain('at least one block must stay');
    // SLEB's own max is 4 blocks: 0.9 × 6 → 5 is past it.
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['sleb'], ratios: '0.9' }), 6).errors?.ratios).toContain('between 1 and 4');
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['sleb'], ratios: '0.4' }), undefined).errors?.model).toContain('load a model first');
  });

  it('checks ratios against 0..1 and the parameter\'s own range', () => {
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['wanda'], ratios: '0.5, x' }), 5).errors?.ratios).toContain('"x" is not a number between 0 and 1');
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['wanda'], ratios: '1.5' }), 5).errors?.ratios).toContain('"1.5"');
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['wanda'], ratios: ' , ' }), 5).errors?.ratios).toContain('enter one or more');
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['wanda'], ratios: '1' }), 5).errors?.ratios).toBe(
      'Wanda at ratio 1: Sparsity: must be between 0 and 0.99, got 1.',
    );
  });

  it('needs a sweepable method, and reports the settings\' and other parameters\' errors', () => {
    expect(sweepRuns(methods(), forms, settings, sweep({}), 5).errors).toEqual({ methods: 'Methods: choose at least one method.' });
    expect(sweepRuns(methods(), forms, settings, sweep({ methodIds: ['drop-blocks'] }), 5).errors?.methods).toContain('Drop blocks has no ratio');
    const bad = sweepRuns(methods(), { ...forms, wanda: { ...forms.wanda, pattern: '3:7' } }, { ...settings, calibrationWindows: '0' }, sweep({ methodIds: ['wanda'] }), 5);
    expect(Object.keys(bad.errors!).sort()).toEqual(['calibrationWindows', 'wanda.pattern']);
    expect(bad.errors!['wanda.pattern']).toMatch(/^Wanda: Pattern/);
  });
});

describe('run-queue helpers', () => {
  it('parseRatios keeps order, drops repeats, accepts commas and spaces', () => {
    expect(parseRatios('0.5, 0.25 0.5;0')).toEqual({ ratios: [0.5, 0.25, 0] });
  });
  it('sweepableMethods keeps methods with a ratio parameter', () => {
    expect(sweepableMethods(methods()).map((m) => m.id)).toEqual(['sleb', 'wanda', 'magnitude']);
  });
  it('runLabel lists every parameter of a method without a ratio', () => {
    const drop = methods()[0];
    const request = { methodId: 'drop-blocks', params: { blocks: '1,3' }, calibration: { text: { kind: 'bundled' as const, id: 'tinystories' as const }, windows: 4 } };
    expect(runLabel(drop, request)).toBe('Drop blocks · blocks=1,3');
  });
});
