// Large texts are tokenized only as far as the windows asked for need (tokenizer/text-tokenizer
// encodeBounded): `eval --max-windows 2` on a ~20 MB single-line text (written here, not committed) gives
// the same figures as on a small prefix of it; through Lab, a prefix is never cached as the whole text,
// and tokenizing a whole large text reports progress and can be cancelled.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/cli/read-model-dir';
import { heldOutStart } from '../../src/evaluation/text-parts';
import { Lab } from '../../src/lab/lab';
import type { PerplexityProgress } from '../../src/lab/lab-api';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { runCli } from '../helpers/run-cli';
import { stories260KDir, tinyStoriesPath } from '../helpers/model-files';

/** TinyStories with its newlines as spaces, repeated to at least `chars` characters: one line. */
function singleLine(chars: number): string {
  const base = fs.readFileSync(tinyStoriesPath, 'utf8').replace(/\n/g, ' ');
  return base.repeat(Math.ceil(chars / base.length)).slice(0, chars);
}

describe('eval --max-windows on a ~20 MB single-line text', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-large-text-'));
    const big = singleLine(20_000_000);
    fs.writeFileSync(path.join(dir, 'big.txt'), big);
    // A prefix of it, cut at a space, with far more than 2 windows of tokens.
    fs.writeFileSync(path.join(dir, 'prefix.txt'), big.slice(0, big.indexOf(' ', 40_000)));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finishes with 2 windows, says only a prefix was tokenized, and scores the same windows as on a small prefix of the text', () => {
    const args = ['--model', stories260KDir, '--seq-len', '256', '--max-windows', '2', '--json'];
    const r = runCli('eval', '--text', path.join(dir, 'big.txt'), ...args);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.last);
    expect(out).toMatchObject({ windows: 2, seqLen: 256, tokensScored: 2 * 255, textTokens: 512, windowsAvailable: 2, tokenizedPrefix: true, textName: 'big.txt' });
    const small = JSON.parse(runCli('eval', '--text', path.join(dir, 'prefix.txt'), ...args).last);
    expect(small.windows).toBe(2);
    expect(small.nll).toBe(out.nll);
    expect(small.ppl).toBe(out.ppl);
  });
});

describe('Lab: bounded tokenization, its cache, progress and cancel', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });
  const storyText = fs.readFileSync(tinyStoriesPath, 'utf8').slice(0, 60_000);
  const text = { kind: 'file', name: 'story.txt', text: storyText } as const;
  let wholeCount = 0;
  beforeAll(async () => {
    await lab.loadModel(await readModelDir(stories260KDir));
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(stories260KDir, f), 'utf8')) as Record<string, unknown>;
    wholeCount = createTextTokenizer(read('tokenizer.json'), read('tokenizer_config.json')).encode(storyText).length;
  });
  afterAll(() => lab.dispose());

  it('a bounded prefix is cached as one: a later whole-text run tokenizes the whole text, and then bounded runs report the whole count', async () => {
    const first = await lab.evaluatePerplexity({ text, seqLen: 128, maxWindows: 2 });
    expect(first).toMatchObject({ windows: 2, textTokens: 256, windowsAvailable: 2, tokenizedPrefix: true });
    const head = await lab.evaluatePerplexity({ text, part: 'head', seqLen: 128, maxWindows: 2 });
    expect(head.tokenizedPrefix).toBe(true);
    expect(head.nll).toBe(first.nll); // the head starts where the text does

    const whole = await lab.evaluatePerplexity({ text, seqLen: 128 });
    expect(whole.tokenizedPrefix).toBeUndefined();
    expect(whole.textTokens).toBe(wholeCount);
    expect(whole.windowsAvailable).toBe(Math.floor(wholeCount / 128));

    const again = await lab.evaluatePerplexity({ text, seqLen: 128, maxWindows: 2 });
    expect(again.tokenizedPrefix).toBeUndefined();
    expect(again.textTokens).toBe(wholeCount);
    expect(again.nll).toBe(first.nll);
    expect(whole.windowNlls.slice(0, 2)).toEqual(first.windowNlls);
  });

  it("'tail' with maxWindows tokenizes the whole text (its start depends on the whole count)", async () => {
    const fresh = { kind: 'file', name: 'story-tail.txt', text: storyText.slice(0, 50_000) } as const;
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(stories260KDir, f), 'utf8')) as Record<string, unknown>;
    const count = createTextTokenizer(read('tokenizer.json'), read('tokenizer_config.json')).encode(fresh.text).length;
    const tail = await lab.evaluatePerplexity({ text: fresh, part: 'tail', seqLen: 128, maxWindows: 1 });
    expect(tail.tokenizedPrefix).toBeUndefined();
    expect(tail.textTokens).toBe(count - heldOutStart(count));
  });

  it('tokenizing a large text reports a tokenizing phase and can be cancelled; the lab then runs the next job', async () => {
    const large = { kind: 'file', name: 'large.txt', text: singleLine(4_000_000) } as const;
    const controller = new AbortController();
    const events: PerplexityProgress[] = [];
    const run = lab.evaluatePerplexity(
      { text: large, part: 'tail', seqLen: 128, maxWindows: 1 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          events.push(p);
          if (p.phase === 'tokenizing') controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({ phase: 'tokenizing', charsTotal: 4_000_000, windowsDone: 0 });
    expect(events[0].charsDone).toBeGreaterThan(0);
    expect(events[0].charsDone).toBeLessThan(4_000_000);
    const next = await lab.evaluatePerplexity({ text, seqLen: 128, maxWindows: 1 });
    expect(next.windows).toBe(1);
  });
});
