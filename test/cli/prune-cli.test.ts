// The CLI's `methods` and `prune` commands as child processes: the --json contract, --ratio mapping,
// N:M flags, and `prune --out` → `eval --model <out>` giving the pruned perplexity.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli';
import { stories260KDir, tinyStoriesPath } from '../helpers/model-files';

// A slice of the TinyStories sample: tokenizing all 1.4 MB takes seconds per process.
const textDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-texts-'));
const calibPath = path.join(textDir, 'calib.txt');
const evalPath = path.join(textDir, 'heldout.txt');
const story = fs.readFileSync(tinyStoriesPath, 'utf8');
fs.writeFileSync(calibPath, story.slice(0, 50_000));
fs.writeFileSync(evalPath, story.slice(-30_000));

const lab = runCli;

describe('lab CLI: methods and prune', () => {
  it('methods --json lists all 11 with their params and defaults', () => {
    const r = lab('methods', '--json');
    expect(r.status).toBe(0);
    const list = JSON.parse(r.last);
    expect(list.map((m: { id: string }) => m.id)).toEqual(['magnitude', 'wanda', 'sparsegpt', 'owl', 'neuroal', 'sleb', 'shortgpt', 'drop-blocks', 'dress', 'channels', 'movement']);
    expect(list.find((m: { id: string }) => m.id === 'sleb').params).toEqual([
      expect.objectContaining({ name: 'blocks', type: 'integer', default: 1 }),
      expect.objectContaining({ name: 'protectEnds', type: 'boolean', default: true }),
    ]);
    expect(list.find((m: { id: string }) => m.id === 'wanda').params[0]).toMatchObject({ name: 'sparsity', default: 0.5 });
  });

  it('prune sleb --ratio 0.2 --out, then eval --model <out> gives the pruned ppl', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-prune-'));
    const common = ['--seq-len', '128'];
    const r = lab('prune', '--model', stories260KDir, '--method', 'sleb', '--ratio', '0.2', '--calib-windows', '6', '--calib', calibPath, '--eval', evalPath, '--eval-windows', '3', '--out', out, ...common, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.last);
    expect(j.method).toBe('sleb');
    expect(j.params).toEqual({ blocks: 1, protectEnds: true }); // ceil(5 · 0.2)
    expect(j.removedBlocks).toHaveLength(1);
    expect(j.overallSparsity).toBe(0);
    expect(j.layerSparsity).toHaveLength(4 * 7);
    expect(j.trace[0]).toMatchObject({ kind: 'sleb-step', step: 0, chosen: j.removedBlocks[0] });
    expect(j.stats).toMatchObject({ forwardPasses: 3, sessionsCreated: 1 });
    expect(j.calibration).toEqual({ windows: 6, seqLen: 128, sampling: 'first', seed: 0, textName: 'calib.txt' });
    expect(j.ppl.after).toBeGreaterThan(j.ppl.before);
    expect(j.out).toBe(out);
    expect(fs.readdirSync(out).sort()).toEqual(['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const e = lab('eval', '--model', out, '--text', evalPath, '--max-windows', '3', ...common, '--json');
    expect(e.status).toBe(0);
    expect(Math.abs(JSON.parse(e.last).ppl - j.ppl.after) / j.ppl.after).toBeLessThan(1e-6);
  });

  it('prune --task hellaswag measures zero-shot accuracy of the dense and the pruned model on the same items', () => {
    const r = lab('prune', '--model', stories260KDir, '--method', 'drop-blocks', '--blocks', '1,2', '--task', 'hellaswag', '--max-items', '10', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.last);
    expect(out.accuracy.before).toMatchObject({ items: 10, dataName: 'hellaswag-val-first300.jsonl' });
    expect(out.accuracy.after.items).toBe(10);
    for (const side of [out.accuracy.before, out.accuracy.after]) expect(Number.isInteger(side.acc * 10)).toBe(true);
  }, 120_000);

  it('laws prints the points and the fitted law as JSON; a missing --ratios exits 1 naming it', () => {
    const r = lab('laws', '--model', stories260KDir, '--method', 'shortgpt', '--ratios', '0,0.2,0.4', '--text', evalPath, '--calib', calibPath, '--calib-windows', '2', '--seq-len', '64', '--max-windows', '4', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.last);
    expect(out.points.map((p: { ratio: number }) => p.ratio)).toEqual([0, 0.2, 0.4]);
    expect(out.points[2].compression).toBeGreaterThan(out.points[1].compression);
    expect(out.fit.form).toBe('no-intercept');
    expect(out.fit.coefficients).toHaveProperty('beta');
    expect(typeof out.fit.r2).toBe('number');
    expect(r.stderr).toContain('"point":3');
    const missing = lab('laws', '--model', stories260KDir, '--method', 'shortgpt', '--text', evalPath);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--ratios is required/);
  }, 120_000);

  it('--ratio is sparsity for wanda, --n/--m the N:M pattern, --blocks a list for drop-blocks; bad flags exit 1', () => {
    const w = lab('prune', '--model', stories260KDir, '--method', 'wanda', '--ratio', '0.3', '--calib', calibPath, '--calib-windows', '4', '--seq-len', '64', '--calib-sample', 'random', '--seed', '2', '--json');
    expect(w.status).toBe(0);
    const wj = JSON.parse(w.last);
    expect(wj.params).toEqual({ sparsity: 0.3, pattern: 'unstructured' });
    expect(Math.abs(wj.overallSparsity - 0.3)).toBeLessThan(0.01);
    expect(wj.calibration).toMatchObject({ sampling: 'random', seed: 2 });
    expect(wj.ppl).toBeUndefined();
    const nm = lab('prune', '--model', stories260KDir, '--method', 'magnitude', '--n', '2', '--m', '4', '--calib', calibPath, '--json');
    expect(nm.status).toBe(0);
    expect(JSON.parse(nm.last)).toMatchObject({ params: { pattern: '2:4' }, overallSparsity: 0.5 });
    const d = lab('prune', '--model', stories260KDir, '--method', 'drop-blocks', '--blocks', '1,3', '--calib', calibPath, '--json');
    expect(d.status).toBe(0);
    expect(JSON.parse(d.last)).toMatchObject({ removedBlocks: [1, 3], layersAfter: 3 });
    const bad = lab('prune', '--model', stories260KDir, '--method', 'drop-blocks', '--blocks', '1,9', '--calib', calibPath, '--json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.last).error).toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/block 9 does not exist/) });
  });
});
