// App entry: starts the lab worker, wires the store to it over postMessage, renders the UI and loads
// the bundled demo model. The engine itself never runs on this thread.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { LabClient } from './lab/lab-client';
import { browserUrl, syncExperimentUrl } from './store/experiment-url-sync';
import { createLabStore } from './store/lab-store';
import { LabStoreProvider } from './store/use-lab';
import { App } from './ui/App';
import { demoModelName, fetchDemoModelFiles } from './ui/demo-model';
import './ui/styles.css';

// ?adapterFault=0.01 / ?blockFault=0.01 (test hooks) reach the worker in its name: its adapter self-test, or
// the first-block check at load, then sees perturbed values. ?kvCache=growing (bench hook): decode on the Concat cache.
const page = new URLSearchParams(location.search);
const hooks = new URLSearchParams([...page].filter(([key]) => key === 'adapterFault' || key === 'blockFault' || key === 'kvCache'));
const workerName = hooks.size > 0 ? `prunelab-lab?${hooks}` : 'prunelab-lab';
const worker = new Worker(new URL('./lab/lab.worker.ts', import.meta.url), { type: 'module', name: workerName });
const client = new LabClient(worker);
worker.addEventListener('error', (event) => {
  client.failAll({ code: 'internal', message: `The lab worker failed: ${event.message || 'it could not start'}.` });
});

// ?bench (bench/browser-speed.ts): the page hands the bench its LabClient, to time the engine itself.
if (page.has('bench')) Object.assign(window, { prunelabBench: client });

const store = createLabStore(client);
// The experiment's settings live in the URL: a shared link reproduces them.
syncExperimentUrl(store, browserUrl());
const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element.');
createRoot(rootElement).render(
  <StrictMode>
    <LabStoreProvider store={store}>
      <App />
    </LabStoreProvider>
  </StrictMode>,
);

void store.getState().start(() => fetchDemoModelFiles(import.meta.env.BASE_URL), demoModelName);
