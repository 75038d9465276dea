// transformers.js beside our engine in bench/browser-speed.ts (issue 15): per preset, the lab's
// transformers.js export of the same dense folder (bench/transformers-export.ts, cached under bench/out/)
// runs in a fresh browser context of the same browser (so the same adapter) through the peer page
// (bench/transformers-page), on the prompt ids and decode length of our decode figure; the row gets both
// sides' figures, ours ÷ theirs from the medians, and whether the greedy ids agree with our engine's.

import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import { syntheticPrompt } from '../src/evaluation/benchmark';
import { log, OUT_DIR, round } from './common';
import type { SpeedFigures } from './speed-plan';
import { ensureTransformersJsExport, oursGreedyIds } from './transformers-export';
import { buildPeerPage } from './transformers-page/build';
import { startPeerServer, type PeerServer } from './transformers-page/serve';
import { greedyAgreement, runPeer, type PeerResult } from './transformers-peer';

export type PeerId = 'transformers.js' | 'none';

export interface PeerOptions {
  peerPort: number;
  peerDist: string;
  build: boolean;
  promptTokens: number[];
  genTokens: number;
  runs: number;
  warmupRuns: number;
  timeoutS: number;
}

export interface PeerSession {
  server: PeerServer;
  models: Record<string, string>;
  close(): Promise<void>;
}

export async function startPeer(o: PeerOptions): Promise<PeerSession> {
  if (o.build || !fs.existsSync(path.join(o.peerDist, 'index.html'))) {
    log(`building the transformers.js peer page into ${o.peerDist}`);
    await buildPeerPage(o.peerDist);
  }
  const models: Record<string, string> = {};
  const server = await startPeerServer({ port: o.peerPort, dist: o.peerDist, models });
  return { server, models, close: () => server.close() };
}

/** What the peer needs for one preset: its exported folder (served as `modelId`) and the prompt of our decode figure. */
export interface PeerPlan {
  modelId: string;
  exportDir: string;
  exportWrittenS: number | null;
  promptIds: number[];
  decodeSteps: number;
}

export async function planPeer(session: PeerSession, o: PeerOptions, preset: string, dir: string): Promise<PeerPlan> {
  const modelId = `${preset === 'stories260k' ? 'stories260k' : path.basename(dir)}-transformersjs`;
  const exported = await ensureTransformersJsExport(dir, path.join(OUT_DIR, modelId));
  session.models[modelId] = exported.dir;
  const config = JSON.parse(fs.readFileSync(path.join(exported.dir, 'config.json'), 'utf8')) as { vocab_size: number; max_position_embeddings?: number; n_positions?: number };
  const promptTokens = Math.min(...o.promptTokens);
  const context = config.max_position_embeddings ?? config.n_positions ?? Infinity;
  if (promptTokens + o.genTokens + 1 > context) throw new Error(`prompt ${promptTokens} + ${o.genTokens + 1} new tokens exceed the context of ${context}`);
  return { modelId, exportDir: path.relative(process.cwd(), exported.dir), exportWrittenS: exported.written ? round(exported.seconds, 1) : null, promptIds: syntheticPrompt(promptTokens, config.vocab_size), decodeSteps: o.genTokens };
}

export async function measurePeer(browser: Browser, session: PeerSession, o: PeerOptions, plan: PeerPlan): Promise<PeerResult> {
  log(`transformers.js: ${plan.modelId}, prompt ${plan.promptIds.length}, ${plan.decodeSteps + 1} new tokens`);
  return runPeer(browser, { url: session.server.url, modelId: plan.modelId, device: 'webgpu', promptIds: plan.promptIds, decodeSteps: plan.decodeSteps, runs: o.runs, warmupRuns: o.warmupRuns, timeoutS: o.timeoutS });
}

/** The onnxruntime-web our lab bundles (the top-level package; transformers.js has its own). */
function ourOrtVersion(): string {
  return (JSON.parse(fs.readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')) as { version: string }).version;
}

/** The row's peer fields: theirs, ours ÷ theirs (medians of our dense figures at the same prompt and decode length), greedy agreement. */
export async function peerFields(dir: string, plan: PeerPlan, theirs: PeerResult | { error: string }, dense: SpeedFigures | undefined, order: string): Promise<Record<string, unknown>> {
  const fields: Record<string, unknown> = { transformersJs: { export: plan.exportDir, exportWrittenS: plan.exportWrittenS, ...theirs } };
  if ('error' in theirs) return fields;
  const P = plan.promptIds.length;
  const ourDecode = dense?.decode.find((d) => d.contextTokens === P && d.genTokens === plan.decodeSteps);
  const ourPrefill = dense?.prefill.find((p) => p.promptTokens === P);
  fields.ratioOursOverTransformersJs = {
    decodeTokensPerS: ourDecode ? round(ourDecode.tokensPerS.median / theirs.decodeTokensPerS.median, 3) : null,
    prefillTokensPerS: ourPrefill ? round(ourPrefill.tokensPerS.median / theirs.prefillTokensPerS.median, 3) : null,
    promptTokens: P,
    decodeSteps: plan.decodeSteps,
    order,
    ortVersions: { ours: ourOrtVersion(), theirs: theirs.ortVersion },
    note: "Medians. Ours: Lab.benchmark in the lab page (prefill = logits of the prompt; decode = per step after it). Theirs: generate() on the same prompt ids (prefill = call → first new token; decode = first → last new token over the same number of steps). Each side in its own page of the same browser, one after the other.",
  };
  const ours = await oursGreedyIds(dir, plan.promptIds, theirs.greedyTokenIds.length);
  fields.greedyTokens = { ours: { engine: `our engine in Node (${ours.backend}), the same weights and prompt ids`, ids: ours.ids }, theirs: theirs.greedyTokenIds, ...greedyAgreement(ours.ids, theirs.greedyTokenIds) };
  return fields;
}
