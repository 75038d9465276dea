// Multiple-choice scoring without a model: acc picks the largest log-likelihood, acc_norm the largest per
// UTF-8 byte of the ending; the ending's tokens start after encode(query); long sequences keep their
// last tokens; a bad jsonl line is named with what is wrong.

import { describe, expect, it } from 'vitest';
import { choiceSequence, evaluateMultipleChoice, parseChoiceItems, type TokenNllScorer } from '../../src/evaluation/multiple-choice';

// One token per character; "the model" gives token t an NLL of (its char code) / 100, so an ending's
// log-likelihood is −Σ codes / 100 and its tokens are the ending's characters plus the space.
const encode = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const scorer: TokenNllScorer = {
  async tokenNlls(windows) {
    return windows.map((w) => Float32Array.from(w.slice(1), (id) => id / 100));
  },
};
const ll = (ending: string) => -Array.from(` ${ending}`, (c) => c.charCodeAt(0) / 100).reduce((a, b) => a + b, 0);

describe('multiple choice', () => {
  it('acc takes the largest sum, acc_norm the largest sum per byte (lm-evaluation-harness)', async () => {
    // "zz" has a smaller sum than "aaaa" (2 × 1.22 + space vs 4 × 0.97 + space) but a larger per byte; "é" is 2 bytes.
    const items = [
      { query: 'Q1', endings: ['aaaa', 'zz'], label: 0 },
      { query: 'Q2', endings: ['aaaa', 'zz'], label: 1 },
      { query: 'Q3', endings: ['aaaa', 'zz'], label: 0 },
      { query: 'Q4', endings: ['ééé', 'bb'], label: 1 },
    ];
    const progress: number[] = [];
    const r = await evaluateMultipleChoice(scorer, encode, items, { maxTokens: 64, dataName: 'mc.jsonl', onProgress: (p) => progress.push(p.itemsDone) });
    expect(r.scores[0].logLikelihoods[0]).toBeCloseTo(ll('aaaa'), 5);
    expect(r.scores[0].logLikelihoods[1]).toBeCloseTo(ll('zz'), 5);
    expect(r.scores[0].endingBytes).toEqual([4, 2]);
    expect(r.scores[3].endingBytes).toEqual([6, 2]);
    // Item 1: sum picks "zz" (−2.76 > −4.20); per byte "aaaa" (−1.05 > −1.38).
    expect([r.scores[0].predicted, r.scores[0].predictedNorm]).toEqual([1, 0]);
    expect(r.scores.map((x) => x.predicted)).toEqual([1, 1, 1, 1]);
    expect(r.scores.map((x) => x.predictedNorm)).toEqual([0, 0, 0, 1]);
    expect(r.acc).toBe(0.5);
    expect(r.accNorm).toBe(0.75);
    expect(r.accStderr).toBeCloseTo(Math.sqrt((0.5 * 0.5) / 3), 12);
    expect(r.chance).toBe(0.5);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('the ending starts after encode(query); long sequences keep their last tokens', () => {
    expect(choiceSequence(encode, 'ab', 'cd', 64)).toEqual({ ids: encode('ab cd'), continuationStart: 2 });
    // A tokenizer that merges "b c" across the boundary: the merged token counts for the ending.
    const merging = (text: string) => encode(text.replace('b c', 'X'));
    expect(choiceSequence(merging, 'ab', 'cd', 64)).toEqual({ ids: encode('aXd'), continuationStart: 2 });
    const long = choiceSequence(encode, 'abcdefgh', 'xy', 5);
    expect(long.ids).toEqual(encode('gh xy'));
    expect(long.continuationStart).toBe(2);
  });

  it('maxItems takes the first items; cancel stops between items', async () => {
    const items = parseChoiceItems(['{"query":"a","endings":["b","c"],"label":1}', '', '{"query":"d","endings":["e","f","g"],"label":0}'].join('\n'), 'x.jsonl');
    expect(items).toHaveLength(2);
    const r = await evaluateMultipleChoice(scorer, encode, items, { maxTokens: 16, maxItems: 1, dataName: 'x.jsonl' });
    expect([r.items, r.itemsAvailable]).toEqual([1, 2]);
    const controller = new AbortController();
    controller.abort();
    await expect(evaluateMultipleChoice(scorer, encode, items, { maxTokens: 16, dataName: 'x.jsonl', signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });

  it.each([
    ['{"query":"a","endings":["b"],"label":0}', /items.jsonl: line 1: "endings" must be a list of at least 2/],
    ['{"query":"a","endings":["b","c"],"label":2}', /line 1: "label" must be an index into endings \(0..1\), got 2/],
    ['{"query":"","endings":["b","c"],"label":0}', /"query" must be a non-empty string/],
    ['[1,2]', /line 1: not a JSON object/],
    ['{"query":"a",', /line 1: not JSON/],
    ['\n\n', /items.jsonl: no items/],
  ])('refuses %s naming the file and line', (text, message) => {
    expect(() => parseChoiceItems(text, 'items.jsonl')).toThrow(message);
  });
});
