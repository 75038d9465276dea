// React binding for the lab store: a context holding the store and a selector hook.
// The only store file that imports React.

import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { JobKind } from './lab-state';
import type { LabStore, LabStoreState } from './lab-store';

const LabStoreContext = createContext<LabStore | null>(null);

export function LabStoreProvider({ store, children }: { store: LabStore; children: ReactNode }) {
  return createElement(LabStoreContext.Provider, { value: store }, children);
}

export function useLab<T>(selector: (state: LabStoreState) => T): T {
  const store = useContext(LabStoreContext);
  if (!store) throw new Error('useLab must be used inside <LabStoreProvider>.');
  return useStore(store, selector);
}

/** Whether a job was asked to cancel and has not stopped yet. */
export function useCancelling(kind: JobKind): boolean {
  return useLab((s) => s.cancelling.includes(kind));
}
