// The app's worker: owns the engine (sessions, GPU buffers, weights) and serves it to LabClient.
// Everything it fetches comes from our own origin: bundled texts and onnxruntime's wasm (public/ort/).

import { LabError } from '../errors';
import { BUNDLED_FILES, type BundledId } from './bundled-data';
import { destroyWebGpuDevice, resetWebGpuPeak, webGpuBufferStats, webGpuReadBandwidth } from '../runtime/gpu-device';
import { setDefaultKvCache } from '../runtime/engine';
import { Lab } from './lab';
import { serveLabApi, type LabPort } from './lab-client';

const base = new URL(import.meta.env.BASE_URL, self.location.origin);
async function loadText(id: BundledId): Promise<string> {
  const path = `data/${BUNDLED_FILES[id]}`;
  const response = await fetch(new URL(path, base));
  if (!response.ok) throw new LabError('missing-file', `${path}: the bundled text could not be fetched (HTTP ${response.status}).`);
  return response.text();
}

// Wasm threads need cross-origin isolation (COOP/COEP headers); without it onnxruntime runs on one.
const numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

// Test hooks: the page names the worker 'prunelab-lab?adapterFault=0.01' (or blockFault=) to make the adapter
// self-test (or the first-block check at load) see wrong values.
const hooks = new URLSearchParams(self.name.split('?')[1] ?? '');
const adapterFault = Number(hooks.get('adapterFault')) || undefined;
const blockFault = Number(hooks.get('blockFault')) || undefined;
// Bench hook: 'prunelab-lab?kvCache=growing' runs decode on the Concat cache instead of the fixed-capacity one (A/B).
const kvCacheHook = hooks.get('kvCache');
if (kvCacheHook === 'growing' || kvCacheHook === 'fixed') setDefaultKvCache(kvCacheHook);

// Test hooks for e2e (reachable only from the worker's own scope, e.g. Playwright's worker.evaluate): lose the
// GPU device as a driver reset would, and count the buffers alive on it (with the peak, for bench/browser-speed).
Object.assign(self, { prunelabGpu: { destroyDevice: destroyWebGpuDevice, bufferStats: webGpuBufferStats, resetPeak: resetWebGpuPeak, readBandwidth: webGpuReadBandwidth } });

const lab = new Lab({ loadText, preferWebGpu: true, ortWasmPaths: new URL('ort/', base).href, numThreads, adapterFault, blockFault });
serveLabApi(lab, self as unknown as LabPort);
