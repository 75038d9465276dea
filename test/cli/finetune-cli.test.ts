// The CLI's `finetune` as a child process: JSON-line progress on stderr, the result JSON as stdout's
// last line, `--out` → a folder `eval` loads with the fine-tuned perplexity; bad flags exit 1.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli';
import { stories260KDir, tinyStoriesPath } from '../helpers/model-files';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-finetune-'));
const textPath = path.join(dir, 'train.txt');
fs.writeFileSync(textPath, fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 120_000));

const lab = runCli;

describe('lab CLI: finetune', () => {
  it('LoRA steps with JSON progress, the result JSON, and --out that eval loads', () => {
    const out = path.join(dir, 'tuned');
    const r = lab('finetune', '--model', stories260KDir, '--text', textPath, '--steps', '12', '--batch', '4', '--seq-len', '64', '--eval-windows', '4', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.last);
    expect(result).toMatchObject({ mode: 'lora', steps: 12, stepsRequested: 12, batch: 4, seqLen: 64, out, format: 'safetensors', backend: 'cpu' });
    expect(result.trace).toHaveLength(12);
    expect(result.pplAfter.ppl).toBeLessThan(result.pplBefore.ppl);
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(progress.filter((p) => p.phase === 'training').map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const evaluated = lab('eval', '--model', out, '--text', textPath, '--seq-len', '128', '--max-windows', '4', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.last).ppl).toBeGreaterThan(1);
  }, 120_000);

  it('bad flags exit 1 naming the flag', () => {
    const r = lab('finetune', '--model', stories260KDir, '--text', textPath, '--steps', '2', '--lr', 'fast');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--lr must be a number');
  });
});
