// Keeps the page URL and the experiment in step: once the methods are listed, a query in the URL sets
// the form (a shared link reproduces the experiment); from then on every change of method, parameters,
// settings or sweep rewrites the query (history.replaceState: no reload, no history entries).

import type { StoreApi } from 'zustand';
import { experimentFromQuery, experimentToQuery } from './experiment-url';
import type { LabState } from './lab-state';

export interface UrlPort {
  search(): string;
  replace(search: string): void;
}

export function browserUrl(): UrlPort {
  return {
    search: () => window.location.search,
    replace: (search) => {
      const url = `${window.location.pathname}${search ? `?${search}` : ''}${window.location.hash}`;
      window.history.replaceState(window.history.state, '', url);
    },
  };
}

/** Starts syncing; returns the unsubscribe function. */
export function syncExperimentUrl<S extends LabState>(store: StoreApi<S>, url: UrlPort): () => void {
  let applied = false;
  let written = url.search().replace(/^\?/, '');
  const write = (state: LabState) => {
    const p = state.pruning;
    const form = (p.selectedMethodId && p.formValues[p.selectedMethodId]) || {};
    const query = experimentToQuery({ selectedMethodId: p.selectedMethodId, form, settings: p.settings, sweep: p.sweep }, p.methods);
    if (query !== written) {
      written = query;
      url.replace(query);
    }
  };
  const apply = (state: LabState) => {
    applied = true;
    const patch = experimentFromQuery(url.search(), state.pruning.methods);
    store.setState((s) => {
      const p = s.pruning;
      const methodId = patch.selectedMethodId ?? p.selectedMethodId;
      const formValues = patch.form && methodId ? { ...p.formValues, [methodId]: { ...p.formValues[methodId], ...patch.form } } : p.formValues;
      return {
        pruning: {
          ...p,
          selectedMethodId: methodId,
          formValues,
          settings: { ...p.settings, ...patch.settings },
          sweep: { ...p.sweep, ...patch.sweep },
        },
      } as Partial<S>;
    });
  };
  const onChange = (state: LabState, previous?: LabState) => {
    if (!applied) {
      if (state.pruning.methodsStatus === 'done') apply(state);
      return;
    }
    const p = state.pruning;
    const q = previous?.pruning;
    if (!q || p.selectedMethodId !== q.selectedMethodId || p.formValues !== q.formValues || p.settings !== q.settings || p.sweep !== q.sweep) write(state);
  };
  const unsubscribe = store.subscribe((state, previous) => onChange(state, previous));
  onChange(store.getState());
  if (applied) write(store.getState());
  return unsubscribe;
}
