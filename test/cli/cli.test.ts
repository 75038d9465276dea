// The CLI contract: with --json the last stdout line is one JSON object; errors exit 1 with a
// one-line `error [code]: message` on stderr. Runs the real command as a child process.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/cli/read-model-dir';
import { Lab } from '../../src/lab/lab';
import { runCli } from '../helpers/run-cli';
import { stories260KDir, tinyStoriesPath } from '../helpers/model-files';

const lab = runCli;

describe('lab CLI', () => {
  it('eval --task hellaswag prints acc and acc_norm over the first N items; a bad jsonl line and an unknown task exit 1 naming them', () => {
    const r = lab('eval', '--model', stories260KDir, '--task', 'hellaswag', '--max-items', '8', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.last);
    expect(out).toMatchObject({ items: 8, itemsAvailable: 300, chance: 0.25, dataName: 'hellaswag-val-first300.jsonl', backend: 'cpu' });
    expect(out.scores).toBeUndefined();
    for (const a of [out.acc, out.accNorm]) expect(Number.isInteger(a * 8)).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-mc-'));
    const bad = path.join(dir, 'items.jsonl');
    fs.writeFileSync(bad, '{"query":"a","endings":["b","c"],"label":0}\n{"query":"a","endings":"b"}\n');
    const refused = lab('eval', '--model', stories260KDir, '--task', 'hellaswag', '--data', bad, '--json');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/items.jsonl: line 2: "endings" must be a list/);
    fs.rmSync(dir, { recursive: true });
    const unknown = lab('eval', '--model', stories260KDir, '--task', 'mmlu');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/--task must be one of hellaswag/);
  }, 120_000);

  it('eval prints the perplexity JSON as the last line, equal to Lab on the same text and windows (native cpu default and wasm)', async () => {
    const [seqLen, maxWindows] = [128, 5];
    const evalArgs = ['eval', '--model', stories260KDir, '--text', tinyStoriesPath, '--seq-len', String(seqLen), '--max-windows', String(maxWindows), '--json'];
    const r = lab(...evalArgs);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.last);
    expect(out).toMatchObject({ windows: maxWindows, tokensScored: maxWindows * (seqLen - 1), seqLen, backend: 'cpu', textName: 'tinystories-valid-sample.txt' });
    const w = lab(...evalArgs, '--backend', 'wasm');
    expect(w.status).toBe(0);
    const outWasm = JSON.parse(w.last);
    expect(outWasm.backend).toBe('wasm');

    // The same folder (safetensors weights, ONNX reference) and text through Lab in this process.
    const inThread = new Lab({ preferWebGpu: false, loadText: async () => '' });
    try {
      await inThread.loadModel(await readModelDir(stories260KDir));
      const text = { kind: 'file', name: 'tinystories-valid-sample.txt', text: fs.readFileSync(tinyStoriesPath, 'utf8') } as const;
      const ref = await inThread.evaluatePerplexity({ text, seqLen, maxWindows });
      expect(ref.windowNlls).toHaveLength(maxWindows);
      expect(out.textTokens).toBe(ref.textTokens);
      expect(out.windowsAvailable).toBe(ref.windowsAvailable);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      // Both Node backends give Lab's (WASM) figures: same windows, fp32 sums in another order.
      for (const o of [out, outWasm]) {
        expect(rel(o.nll, ref.nll)).toBeLessThan(1e-6);
        expect(rel(o.ppl, ref.ppl)).toBeLessThan(1e-6);
      }
      // Lab's own numbers are the protocol: mean of the window means, ppl = exp(nll).
      expect(rel(ref.nll, ref.windowNlls.reduce((a, b) => a + b, 0) / maxWindows)).toBeLessThan(1e-12);
      expect(rel(ref.ppl, Math.exp(ref.nll))).toBeLessThan(1e-12);
      // A different window length gives a different number (so --seq-len was honoured).
      const other = await inThread.evaluatePerplexity({ text, seqLen: 256, maxWindows });
      expect(rel(other.nll, out.nll)).toBeGreaterThan(1e-4);
    } finally {
      await inThread.dispose();
    }
  });

  it('bench and generate print their JSON', () => {
    const bench = lab('bench', '--model', stories260KDir, '--prompt-tokens', '16', '--gen-tokens', '4', '--runs', '2', '--json');
    expect(bench.status).toBe(0);
    const b = JSON.parse(bench.last);
    for (const key of ['prefillMs', 'prefillTokensPerS', 'decodeMsPerToken', 'decodeTokensPerS']) expect(b[key].median).toBeGreaterThan(0);
    expect(b).toMatchObject({ backend: 'cpu', promptTokens: 16, genTokens: 4, runs: 2 });
    for (const backend of ['cpu', 'wasm']) {
      const gen = lab('generate', '--model', stories260KDir, '--prompt', 'Once upon a time', '--max-new-tokens', '12', '--backend', backend, '--json');
      expect(gen.status).toBe(0);
      expect(JSON.parse(gen.last).text).toMatch(/^Once upon a time, there was a little girl named Lily/);
    }
  });

  it('--backend: an unknown name is a bad-argument; cuda without its libraries says why (or runs where they exist)', () => {
    const bad = lab('eval', '--model', stories260KDir, '--backend', 'tpu', '--json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.last).error.code).toBe('bad-argument');
    const cuda = lab('eval', '--model', stories260KDir, '--text', tinyStoriesPath, '--seq-len', '64', '--max-windows', '1', '--backend', 'cuda', '--json');
    const result = JSON.parse(cuda.last);
    if (cuda.status === 0) expect(result.backend).toBe('cuda');
    else expect(result.error).toMatchObject({ code: 'backend-unavailable', message: expect.stringContaining('--backend cpu') });
  });

  it('bad input exits 1 with a one-line message naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-cli-'));
    fs.copyFileSync(path.join(stories260KDir, 'config.json'), path.join(dir, 'config.json'));
    fs.copyFileSync(path.join(stories260KDir, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    fs.writeFileSync(path.join(dir, 'model.onnx'), Buffer.alloc(2048, 0xab));
    const r = lab('info', '--model', dir, '--json');
    expect(r.status).toBe(1);
    const errorLines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^error \[not-a-model\]: model\.onnx: /);
    expect(JSON.parse(r.last).error.code).toBe('not-a-model');
    const unknown = lab('frobnicate');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
