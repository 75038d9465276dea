// Fast tests of evaluation/generate.ts with a scripted fake Decoder: greedy argmax (first of ties),
// stop conditions (eos not appended, max-new-tokens, context), what is fed to each step, progress,
// cancellation and argument errors.

import { describe, expect, it } from 'vitest';
import { fakeClock, labError, oneHotRow } from './fakes';
import { argmax, generateGreedy, type Decoder, type GenerateOptions } from '../../src/evaluation/generate';
import type { GenerateProgress } from '../../src/lab/lab-api';

const clock = fakeClock(100);

const VOCAB = 32;
const oneHot = (id: number) => oneHotRow(VOCAB, id, -5, 1);

/** Predicts script[k] after the k-th call (prefill is call 0); records what it was fed. 10 ms a call. */
function scripted(script: number[]) {
  const fed: { prefill: number[][]; steps: number[] } = { prefill: [], steps: [] };
  let k = 0;
  const decoder: Decoder = {
    prefill: async (ids) => {
      fed.prefill.push([...ids]);
      clock.ms += 10;
      return oneHot(script[k++]);
    },
    step: async (token) => {
      fed.steps.push(token);
      clock.ms += 10;
      return oneHot(script[k++]);
    },
  };
  return { decoder, fed };
}

const opts = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({ maxNewTokens: 10, eosTokenIds: [], contextLength: 100, ...o });


describe('argmax', () => {
  it('index of the largest value; the first one on ties; all-negative rows; one entry', () => {
    expect(argmax(Float32Array.of(0, 5, -1, 5))).toBe(1);
    expect(argmax(Float32Array.of(-3, -1, -2))).toBe(1);
    expect(argmax(Float32Array.of(9, 1, 2))).toBe(0);
    expect(argmax(Float32Array.of(1, 2, 9))).toBe(2);
    expect(argmax(Float32Array.of(-7))).toBe(0);
    expect(argmax(Float32Array.of(2, 2, 2))).toBe(0);
  });
});

describe('generateGreedy', () => {
  it('appends the argmax each step and feeds it back; stops after maxNewTokens without an extra step', async () => {
    const { decoder, fed } = scripted([7, 8, 9, 10, 11, 12]);
    const r = await generateGreedy(decoder, [1, 2, 3], opts({ maxNewTokens: 4 }));
    expect(r.tokenIds).toEqual([1, 2, 3, 7, 8, 9, 10]);
    expect(r.newTokens).toBe(4);
    expect(r.stoppedBy).toBe('max-new-tokens');
    expect(fed.prefill).toEqual([[1, 2, 3]]);
    expect(fed.steps).toEqual([7, 8, 9]); // the 4th token needs no step
    expect(r.elapsedMs).toBe(40);
  });

  it('stops at an eos id without appending it or stepping on it; any of several eos ids', async () => {
    const { decoder, fed } = scripted([7, 8, 2, 9]);
    const r = await generateGreedy(decoder, [1], opts({ eosTokenIds: [5, 2] }));
    expect(r).toMatchObject({ tokenIds: [1, 7, 8], newTokens: 2, stoppedBy: 'eos' });
    expect(fed.steps).toEqual([7, 8]);
    const first = await generateGreedy(scripted([5]).decoder, [1], opts({ eosTokenIds: [5, 2] }));
    expect(first).toMatchObject({ tokenIds: [1], newTokens: 0, stoppedBy: 'eos' });
  });

  it('eos at the token after the last allowed one is not seen: max-new-tokens', async () => {
    const r = await generateGreedy(scripted([7, 2]).decoder, [1], opts({ maxNewTokens: 1, eosTokenIds: [2] }));
    expect(r).toMatchObject({ tokenIds: [1, 7], stoppedBy: 'max-new-tokens' });
  });

  it('stops when the sequence fills the context (prompt + new = contextLength)', async () => {
    const { decoder, fed } = scripted([7, 8, 9, 10]);
    const r = await generateGreedy(decoder, [1, 2, 3], opts({ contextLength: 5, maxNewTokens: 10 }));
    expect(r).toMatchObject({ tokenIds: [1, 2, 3, 7, 8], newTokens: 2, stoppedBy: 'context' });
    expect(fed.steps).toEqual([7]);
    // when the last allowed token also fills the context, max-new-tokens wins
    const both = await generateGreedy(scripted([7, 8, 9]).decoder, [1, 2, 3], opts({ contextLength: 5, maxNewTokens: 2 }));
    expect(both.stoppedBy).toBe('max-new-tokens');
    expect(both.tokenIds).toHaveLength(5);
  });

  it('maxNewTokens 0 prefills but adds nothing', async () => {
    const { decoder, fed } = scripted([7]);
    const r = await generateGreedy(decoder, [1, 2], opts({ maxNewTokens: 0 }));
    expect(r).toMatchObject({ tokenIds: [1, 2], newTokens: 0, stoppedBy: 'max-new-tokens' });
    expect(fed.prefill).toHaveLength(1);
    expect(fed.steps).toHaveLength(0);
  });

  it('progress after every appended token with the decoded text (or "" without a decoder)', async () => {
    const events: GenerateProgress[] = [];
    const decode = (ids: number[]) => ids.join(',');
    await generateGreedy(scripted([7, 8, 2]).decoder, [1], opts({ eosTokenIds: [2], decode, onProgress: (p) => events.push(p) }));
    expect(events).toEqual([{ tokens: 1, text: '1,7' }, { tokens: 2, text: '1,7,8' }]);
    const plain: GenerateProgress[] = [];
    await generateGreedy(scripted([7, 8]).decoder, [1], opts({ maxNewTokens: 2, onProgress: (p) => plain.push(p) }));
    expect(plain).toEqual([{ tokens: 1, text: '' }, { tokens: 2, text: '' }]);
  });

  it('rejects an empty prompt and a prompt that fills the context', async () => {
    const empty = await labError(generateGreedy(scripted([]).decoder, [], opts()));
    expect(empty.code).toBe('bad-argument');
    expect(empty.message).toBe('the prompt has no tokens');
    const full = await labError(generateGreedy(scripted([]).decoder, [1, 2, 3], opts({ contextLength: 3 })));
    expect(full.code).toBe('bad-argument');
    expect(full.message).toBe("the prompt has 3 tokens; the model's context is 3");
    const r = await generateGreedy(scripted([7]).decoder, [1, 2], opts({ contextLength: 3 }));
    expect(r).toMatchObject({ tokenIds: [1, 2, 7], stoppedBy: 'context' });
  });

  it('cancelled before the prefill, or between steps', async () => {
    const c = new AbortController();
    c.abort();
    const { decoder, fed } = scripted([7]);
    expect((await labError(generateGreedy(decoder, [1], opts({ signal: c.signal })))).code).toBe('cancelled');
    expect(fed.prefill).toHaveLength(0);
    const mid = new AbortController();
    const s = scripted([7, 8, 9, 10]);
    const e = await labError(generateGreedy(s.decoder, [1], opts({ signal: mid.signal, onProgress: (p) => p.tokens === 2 && mid.abort() })));
    expect(e.code).toBe('cancelled');
    expect(s.fed.steps).toEqual([7, 8]);
  });
});
