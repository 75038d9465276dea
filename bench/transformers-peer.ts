// Drives the transformers.js peer page (bench/transformers-page) in Chromium: a fresh browser context,
// the lab's transformers.js export of a model loaded with AutoModelForCausalLM (fp32, WebGPU, else wasm),
// timed greedy generation on given prompt ids (warm-up runs excluded; median, min, max), the greedy ids,
// and every request the context made (none may leave the server's origin). Node only; bench and e2e.

import type { Browser } from '@playwright/test';
import type { PeerGeneration, PeerInfo, PeerLoadRequest } from './transformers-page/main';
import { stat } from '../src/evaluation/benchmark';

export interface PeerRunOptions {
  /** Server root, e.g. http://127.0.0.1:4393/ (bench/transformers-page/serve.ts). */
  url: string;
  modelId: string;
  device: PeerLoadRequest['device'];
  promptIds: number[];
  /** Decode steps timed: the peer generates decodeSteps + 1 new tokens (first → last = decodeSteps steps). */
  decodeSteps: number;
  runs: number;
  warmupRuns: number;
  timeoutS: number;
}

const r2 = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const roundStat = (s: { median: number; min: number; max: number }, digits = 2) => ({ median: r2(s.median, digits), min: r2(s.min, digits), max: r2(s.max, digits) });

/** URLs that are neither on `url`'s origin nor blob:/data: (nothing may leave the machine). */
export function foreignRequests(requests: string[], url: string): string[] {
  const origin = new URL(url).origin;
  return requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin);
}

export interface PeerResult extends PeerInfo {
  promptTokens: number;
  newTokens: number;
  decodeSteps: number;
  runs: number;
  warmupRuns: number;
  prefillMs: { median: number; min: number; max: number };
  prefillTokensPerS: { median: number; min: number; max: number };
  decodeMsPerToken: { median: number; min: number; max: number };
  decodeTokensPerS: { median: number; min: number; max: number };
  /** The first run's new tokens (greedy: every run gives the same). */
  greedyTokenIds: number[];
  greedyStableAcrossRuns: boolean;
  requests: number;
  foreignRequests: string[];
  consoleErrors: string[];
}

export async function runPeer(browser: Browser, o: PeerRunOptions): Promise<PeerResult> {
  const context = await browser.newContext();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(o.timeoutS * 1000);
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text().slice(0, 300))));
    page.on('pageerror', (e) => void consoleErrors.push(e.message.slice(0, 300)));
    await page.goto(o.url);
    await page.locator('#status[data-status="ready"]').waitFor();
    type Api = { transformersPeer: { load(r: PeerLoadRequest): Promise<PeerInfo>; generate(ids: number[], n: number): Promise<PeerGeneration> } };
    const info = await page.evaluate((r) => (window as unknown as Api).transformersPeer.load(r), { modelId: o.modelId, device: o.device });
    const newTokens = o.decodeSteps + 1;
    const runs: PeerGeneration[] = [];
    for (let r = 0; r < o.warmupRuns + o.runs; r++) {
      const g = await page.evaluate(([ids, n]) => (window as unknown as Api).transformersPeer.generate(ids, n), [o.promptIds, newTokens] as const);
      if (r >= o.warmupRuns) runs.push(g);
    }
    const P = o.promptIds.length;
    const first = runs[0].newTokenIds;
    return {
      ...info,
      loadMs: r2(info.loadMs, 1),
      promptTokens: P,
      newTokens,
      decodeSteps: o.decodeSteps,
      runs: o.runs,
      warmupRuns: o.warmupRuns,
      prefillMs: roundStat(stat(runs.map((g) => g.prefillMs))),
      prefillTokensPerS: roundStat(stat(runs.map((g) => (P * 1000) / g.prefillMs)), 1),
      decodeMsPerToken: roundStat(stat(runs.map((g) => g.decodeMsPerToken))),
      decodeTokensPerS: roundStat(stat(runs.map((g) => 1000 / g.decodeMsPerToken)), 1),
      greedyTokenIds: first,
      greedyStableAcrossRuns: runs.every((g) => g.newTokenIds.join() === first.join()),
      requests: requests.length,
      foreignRequests: foreignRequests(requests, o.url),
      consoleErrors: consoleErrors.slice(-10),
    };
  } finally {
    await context.close();
  }
}

/** How far two greedy continuations agree: 'all N' or 'first k of N' (N = the shorter length). */
export function greedyAgreement(ours: number[], theirs: number[]): { agree: boolean; matchingPrefix: number; compared: number; summary: string } {
  const n = Math.min(ours.length, theirs.length);
  let k = 0;
  while (k < n && ours[k] === theirs[k]) k++;
  return { agree: k === n && n > 0, matchingPrefix: k, compared: n, summary: k === n ? `all ${n}` : `first ${k} of ${n}` };
}
