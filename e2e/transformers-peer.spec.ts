// transformers.js in Chromium on WebGPU (SwiftShader here) runs the lab's own transformers.js export of the
// demo model and continues a prompt exactly as our engine does in Node: the export is correct where users
// load it. The peer page (bench/transformers-page, built here with vite in ~1 s) and the exported folder are
// served by the spec's own server (bench/transformers-page/serve.ts, COOP/COEP) on PRUNELAB_PEER_PORT
// (default: a free port); nothing may be fetched from elsewhere.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect } from '@playwright/test';
import { buildPeerPage } from '../bench/transformers-page/build';
import { startPeerServer } from '../bench/transformers-page/serve';
import { runPeer } from '../bench/transformers-peer';
import { nodeLab, writeFolder } from './helpers';

// A free port unless PRUNELAB_PEER_PORT names one.
const port = Number(process.env.PRUNELAB_PEER_PORT ?? 0);
const PROMPT = 'Once upon a time';
const NEW_TOKENS = 12;

base('transformers.js on WebGPU continues the lab\'s transformers.js export of the demo model as our engine does in Node; nothing leaves the origin', async ({ browser }) => {
  base.setTimeout(300_000);
  // Ours: the engine in Node (WASM EP) on the demo model; the same lab then exports it unpruned.
  const lab = await nodeLab();
  const ours = await lab.generate({ prompt: PROMPT, maxNewTokens: NEW_TOKENS });
  const exported = await lab.exportModel({ which: 'loaded', format: 'transformers.js', onnxDtypes: ['fp32'] });
  await lab.dispose();
  expect(ours.stoppedBy, 'ours must produce all tokens (transformers.js masks EOS until then)').toBe('max-new-tokens');
  const promptIds = ours.tokenIds.slice(0, ours.promptTokens);
  const oursNew = ours.tokenIds.slice(ours.promptTokens);
  expect(oursNew).toHaveLength(NEW_TOKENS);
  expect([...new Set(oursNew)].length, 'a continuation, not one repeated id').toBeGreaterThan(3);

  const folder = await writeFolder('stories260K-export', await Promise.all(exported.map(async (f) => ({ path: f.path, bytes: new Uint8Array(await f.blob.arrayBuffer()) }))));
  const distRoot = await mkdtemp(join(tmpdir(), 'prunelab-peer-page-'));
  const server = await startPeerServer({ port, dist: await buildPeerPage(join(distRoot, 'dist')), models: { 'stories260K-export': folder.folder } });
  try {
    const theirs = await runPeer(browser, { url: server.url, modelId: 'stories260K-export', device: 'webgpu', promptIds, decodeSteps: NEW_TOKENS - 1, runs: 1, warmupRuns: 0, timeoutS: 150 });
    expect(theirs.device, `transformers.js ran on ${theirs.device} (${theirs.fallbackReason})`).toBe('webgpu');
    expect(theirs.adapter).toBeTruthy();
    expect(theirs.crossOriginIsolated).toBe(true);
    expect(theirs.greedyTokenIds, `greedy ids after ${JSON.stringify(promptIds)}; page errors: ${theirs.consoleErrors.join(' | ')}`).toEqual(oursNew);
    // The exported graph and transformers.js's own onnxruntime-web came from the spec's server, nothing from elsewhere.
    expect(server.requests).toContain('/models/stories260K-export/onnx/model.onnx');
    expect(server.requests.some((p) => p.startsWith('/tjs-ort/') && p.endsWith('.wasm'))).toBe(true);
    expect(theirs.requests).toBeGreaterThan(0);
    expect(theirs.foreignRequests, 'requests that left the origin').toEqual([]);
  } finally {
    await server.close();
    await folder.remove();
    await rm(distRoot, { recursive: true, force: true });
  }
});
