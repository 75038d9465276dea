// The experiment in the URL: defaults write nothing, a link round-trips, junk is ignored, and the store
// sync applies a link once the methods are listed and rewrites the query on every change.

import { describe, expect, it } from 'vitest';
import { methodInfo } from '../../src/pruning/registry';
import { experimentFromQuery, experimentToQuery, type Experiment } from '../../src/store/experiment-url';
import { syncExperimentUrl, type UrlPort } from '../../src/store/experiment-url-sync';
import { createLabStore } from '../../src/store/lab-store';
import { defaultFormValues } from '../../src/store/param-values';
import { defaultPruneSettings } from '../../src/store/pruning-state';
import { FakeLab } from '../lab/fake-lab';

const methods = methodInfo();
const wanda = methods.find((m) => m.id === 'wanda')!;
const base = (): Experiment => ({
  selectedMethodId: 'wanda',
  form: defaultFormValues(wanda.params),
  settings: defaultPruneSettings(),
  sweep: { methodIds: [], ratios: '0.25, 0.5', calibrationTexts: [] },
});

describe('experiment URL', () => {
  it('writes only the method when everything else is at its default', () => {
    expect(experimentToQuery(base(), methods)).toBe('method=wanda');
  });

  it('round-trips parameters, settings (numbers, flags, choices) and a sweep', () => {
    const experiment = base();
    experiment.form = { ...experiment.form, sparsity: '0.6', pattern: '2:4' };
    experiment.settings = { ...experiment.settings, calibrationWindows: '32', sampling: 'random', measureSpeed: false, generatePrompt: 'A cat & a dog' };
    experiment.sweep = { methodIds: ['wanda', 'sleb'], ratios: '0.2, 0.4', calibrationTexts: ['wikitext2'] };
    const query = experimentToQuery(experiment, methods);
    expect(query).toContain('p.sparsity=0.6');
    expect(query).toContain('measureSpeed=0');
    const patch = experimentFromQuery(`?${query}`, methods);
    expect(patch.selectedMethodId).toBe('wanda');
    expect(patch.form).toEqual({ sparsity: '0.6', pattern: '2:4' });
    expect(patch.settings).toEqual({ calibrationWindows: '32', sampling: 'random', measureSpeed: false, generatePrompt: 'A cat & a dog' });
    expect(patch.sweep).toEqual({ methodIds: ['wanda', 'sleb'], ratios: '0.2, 0.4', calibrationTexts: ['wikitext2'] });
  });

  it('ignores unknown methods, parameters, settings, choices and unsweepable methods', () => {
    const patch = experimentFromQuery('method=nope&p.sparsity=0.7&sampling=sideways&evalText=wikitext2&calibrationText=file&bogus=1&sweep.methods=drop-blocks,nope,sleb&sweep.texts=klingon', methods);
    expect(patch.selectedMethodId).toBeUndefined();
    expect(patch.form).toBeUndefined();
    expect(patch.settings).toEqual({ evalText: 'wikitext2' });
    expect(patch.sweep).toEqual({ methodIds: ['sleb'], calibrationTexts: [] });
    expect(experimentFromQuery('method=wanda&p.pattern=3:7', methods).form).toEqual({});
  });

  it('never writes a dropped calibration file (it cannot travel in a link)', () => {
    const experiment = base();
    experiment.settings = { ...experiment.settings, calibrationText: 'file', calibrationFile: { name: 'mine.txt', text: 'secret' } };
    expect(experimentToQuery(experiment, methods)).toBe('method=wanda');
  });
});

describe('syncExperimentUrl', () => {
  function fakeUrl(initial: string): UrlPort & { writes: string[] } {
    let current = initial;
    const writes: string[] = [];
    return { writes, search: () => current, replace: (search) => { current = search ? `?${search}` : ''; writes.push(search); } };
  }

  it('applies a link once the methods are listed, then follows every change', async () => {
    const store = createLabStore(new FakeLab());
    const url = fakeUrl('?method=wanda&p.sparsity=0.7&evalMaxWindows=9');
    syncExperimentUrl(store, url);
    expect(url.writes).toEqual([]); // nothing is known before the methods are listed
    await store.getState().start(async () => [{ path: 'config.json', blob: new Blob(['{}']) }], 'demo');
    const { pruning } = store.getState();
    expect(pruning.selectedMethodId).toBe('wanda');
    expect(pruning.formValues.wanda.sparsity).toBe('0.7');
    expect(pruning.settings.evalMaxWindows).toBe('9');
    store.getState().setParamValue('wanda', 'sparsity', '0.3');
    expect(url.search()).toBe('?method=wanda&p.sparsity=0.3&evalMaxWindows=9');
    store.getState().selectMethod('drop-blocks');
    expect(url.search()).toBe('?method=drop-blocks&evalMaxWindows=9');
  });
});
