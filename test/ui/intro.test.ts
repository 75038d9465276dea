// Intro rendered to HTML (react-dom/server) from a store: the method list is built from the lab's
// MethodInfo list (a new method appears without UI code), paper links open in a new tab without a referrer.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { MethodInfo } from '../../src/lab/lab-api';
import { createStore } from 'zustand/vanilla';
import { createLabStore, type LabStore, type LabStoreState } from '../../src/store/lab-store';
import { memoryRunStorage } from '../../src/store/run-storage';
import { LabStoreProvider } from '../../src/store/use-lab';
import { Intro } from '../../src/ui/Intro';
import { FakeLab, fakeMethods } from '../lab/fake-lab';

function render(methods: MethodInfo[]): string {
  const state = createLabStore(new FakeLab(), memoryRunStorage()).getState();
  // Server rendering reads the store's initial state, so the methods go into a store's initial state.
  const store: LabStore = createStore<LabStoreState>()(() => ({ ...state, pruning: { ...state.pruning, methods } }));
  return renderToStaticMarkup(createElement(LabStoreProvider, { store, children: createElement(Intro) }));
}

describe('Intro', () => {
  it('lists every method the lab lists, grouped by kind, with its summary and paper link', () => {
    const methods = fakeMethods();
    const html = render(methods);
    for (const m of methods) {
      const item = html.match(new RegExp(`<li data-testid="intro-method-${m.id}">(.*?)</li>`))?.[1] ?? '';
      expect(item).toContain(m.label);
      expect(item).toContain(m.summary.replace(/&/g, '&amp;'));
      expect(item).toContain(`href="${m.paper.url}" target="_blank" rel="noreferrer"`);
    }
    expect(html.indexOf('Remove blocks')).toBeLessThan(html.indexOf('intro-method-drop-blocks'));
    expect(html.indexOf('Sparsity (zeroed weights')).toBeLessThan(html.indexOf('intro-method-wanda'));
    expect(html).toContain(`The pruning methods (${methods.length})`);
  });

  it('shows a method added to the lab without any UI change', () => {
    const added: MethodInfo = { ...fakeMethods()[0], id: 'new-method', label: 'Brand new', summary: 'Does something new.', paper: { title: 'A new paper', url: 'https://arxiv.org/abs/0000.00000' } };
    const html = render([...fakeMethods(), added]);
    expect(html).toContain('data-testid="intro-method-new-method"');
    expect(html).toContain('A new paper');
  });

  it('says what the demo model is, what the numbers mean and where the data stays', () => {
    const html = render(fakeMethods());
    expect(html).toContain('stories260K');
    expect(html).toContain('IndexedDB');
    expect(html).toMatch(/Perplexity.*lower is better/s);
    expect(html).toMatch(/N:M sparsity.*speed does not change/s);
  });
});
