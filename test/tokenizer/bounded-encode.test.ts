// encodeBounded: the text encoded in bounded pieces gives encode(text)'s ids (or their first maxTokens),
// on the bundled texts with the bundled stories260K tokenizer, with a Metaspace pre-tokenizer variant and a
// small GPT-2-style byte-level BPE built here; and it can be cancelled between pieces.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { createTextTokenizer, HARD_CUT_CHARS, pieceCutsOf, type TextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { repoRoot } from '../helpers/model-files';
import { storiesDir } from '../model/helpers';

const readJson = (f: string) => JSON.parse(fs.readFileSync(path.join(storiesDir, f), 'utf8')) as Record<string, unknown>;
const storiesJson = readJson('tokenizer.json');
const storiesConfig = readJson('tokenizer_config.json');
const bundled = (name: string) => fs.readFileSync(path.join(repoRoot, 'public/data', name), 'utf8');
const texts = ['tinystories-valid-sample.txt', 'wikitext-2-raw-test.txt'];

/** Index of the first difference, or −1 (a readable failure instead of a 800k-element diff). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSameIds(tok: TextTokenizer, text: string, pieceChars?: number): void {
  const whole = tok.encode(text);
  const bounded = tok.encodeBoundedSync(text, { pieceChars });
  expect(firstDiff(bounded.ids, whole)).toBe(-1);
  expect(bounded).toMatchObject({ complete: true, hardCuts: 0, charsDone: text.length });
}

describe('encodeBounded with the stories260K tokenizer (metaspace cuts)', () => {
  const tok = createTextTokenizer(storiesJson, storiesConfig);

  it('cuts pieces at spaces', () => {
    expect(tok.pieceCuts).toBe('metaspace');
  });

  // The first 400k characters of each text (~100k tokens, hundreds of default pieces and thousands of 64-character
  // ones) stand for the whole: the cut rule is local, and the whole texts took 30 s here for the same checks.
  for (const name of texts) {
    it(`${name}: its first 400k characters, in default and in 64-character pieces, give encode's ids; maxTokens gives their prefix`, () => {
      const text = bundled(name).slice(0, 400_000);
      const whole = tok.encode(text);
      expect(whole.length).toBeGreaterThan(80_000);
      for (const pieceChars of [undefined, 64]) {
        const b = tok.encodeBoundedSync(text, { pieceChars });
        expect(firstDiff(b.ids, whole)).toBe(-1);
        expect(b.ids).toBeInstanceOf(Int32Array);
        expect(b).toMatchObject({ complete: true, hardCuts: 0, charsDone: text.length });
      }
      for (const maxTokens of [1, 2, 513, 20_000]) {
        const b = tok.encodeBoundedSync(text, { maxTokens });
        expect(b.ids.length).toBe(maxTokens);
        expect(firstDiff(b.ids, whole.slice(0, maxTokens))).toBe(-1);
        expect(b.complete).toBe(false);
        // Only about as much text as those ids need was read (≤ 2 pieces' worth past them).
        expect(b.charsDone).toBeLessThan(maxTokens * 8 + 4096);
      }
      const exact = tok.encodeBoundedSync(text, { maxTokens: whole.length });
      expect(exact.complete).toBe(true);
      expect(exact.ids.length).toBe(whole.length);
    });
  }

  it('special-token texts, runs of spaces, newlines, surrogate pairs and combining marks: the same ids in 16-character pieces', () => {
    const story = bundled('tinystories-valid-sample.txt').slice(0, 20_000);
    const words = story.split(' ');
    const specials = ['<s>', '</s>', '<unk>', ' <s> ', '</s>x', 'y<unk>'];
    const mixed = words.map((w, i) => (i % 37 === 0 ? `${w}${specials[i % specials.length]}` : w)).join(' ');
    expectSameIds(tok, mixed, 16);
    for (const text of [
      '',
      ' ',
      'a',
      '  leading and trailing  ',
      'many    spaces   between      words '.repeat(40),
      'line one\nline two\n\n\nline three \n indented\n'.repeat(30),
      'emoji 😀 and 😀😀 here 𝒳 𝒴 '.repeat(30),
      'e\u0301 combining a \u0301 mark a\u0301b c\u0327 '.repeat(30),
      'tabs\tand\u00a0non-breaking spaces \u3000 ideographic '.repeat(30),
    ]) {
      expectSameIds(tok, text, 16);
    }
  });

  it('a text with no space for HARD_CUT_CHARS is cut hard (counted), and still encoded to the end', () => {
    const text = 'abcdefgh'.repeat(Math.ceil((HARD_CUT_CHARS * 1.5) / 8));
    const whole = tok.encode(text);
    const b = tok.encodeBoundedSync(text);
    expect(b.hardCuts).toBe(1);
    expect(b.complete).toBe(true);
    // The ids before the hard cut are encode's; the piece after it starts a new "word".
    const cutAt = Math.floor(HARD_CUT_CHARS / 8) - 2;
    expect(firstDiff(b.ids.subarray(0, cutAt), whole.slice(0, cutAt))).toBe(-1);
    expect(Math.abs(b.ids.length - whole.length)).toBeLessThanOrEqual(3);
  });

  it('reports progress up to the whole text, and a cancel between pieces rejects with LabError cancelled', async () => {
    const text = bundled('tinystories-valid-sample.txt').replace(/\n/g, ' ').repeat(3);
    const seen: number[] = [];
    const small = await tok.encodeBounded(text.slice(0, 50_000), { onProgress: (done, total) => seen.push(done / total) });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= seen[i - 1]))).toBe(true);
    expect(seen[seen.length - 1]).toBe(1);
    expect(firstDiff(small.ids, tok.encode(text.slice(0, 50_000)))).toBe(-1);

    const controller = new AbortController();
    let charsDone = 0;
    setTimeout(() => controller.abort(), 50);
    const run = tok.encodeBounded(text, { signal: controller.signal, onProgress: (done) => (charsDone = done) });
    await expect(run).rejects.toBeInstanceOf(LabError);
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(charsDone).toBeGreaterThan(0);
    expect(charsDone).toBeLessThan(text.length);

    const aborted = new AbortController();
    aborted.abort();
    await expect(tok.encodeBounded(text, { signal: aborted.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('encodeBounded with other tokenizer shapes', () => {
  const wiki = bundled('wikitext-2-raw-test.txt').slice(0, 150_000);

  it('seeded character soup (space runs, digits, punctuation, marks, specials): the same ids for every tokenizer shape and piece size', () => {
    const shapes = [
      createTextTokenizer(storiesJson, storiesConfig),
      createTextTokenizer({ ...storiesJson, normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always' } }, storiesConfig),
      createTextTokenizer(byteLevelTokenizerJson(bundled('tinystories-valid-sample.txt').slice(0, 10_000), 100), {}),
    ];
    expect(shapes.map((t) => t.pieceCuts)).toEqual(['metaspace', 'metaspace', 'byte-level']);
    for (const tok of shapes) for (const seed of [1, 2, 3]) for (const pieceChars of [16, 17, 29]) expectSameIds(tok, soup(4000, seed), pieceChars);
  });

  it('a Metaspace pre-tokenizer (prepend first) instead of the normalizer: metaspace cuts, the same ids', () => {
    const json = { ...storiesJson, normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false } };
    const tok = createTextTokenizer(json, storiesConfig);
    expect(tok.pieceCuts).toBe('metaspace');
    expectSameIds(tok, wiki, 128);
    expectSameIds(tok, 'a <s> b </s>  c '.repeat(50), 16);
  });

  it('a GPT-2-style byte-level BPE (trained here on TinyStories): byte-level cuts, the same ids and prefixes', () => {
    const json = byteLevelTokenizerJson(bundled('tinystories-valid-sample.txt').slice(0, 30_000), 300);
    const tok = createTextTokenizer(json, {});
    expect(tok.pieceCuts).toBe('byte-level');
    const whole = tok.encode(wiki);
    expect(whole.length).toBeLessThan(wiki.length * 0.8); // the merges do merge
    expectSameIds(tok, wiki, 128);
    expectSameIds(tok, bundled('tinystories-valid-sample.txt').slice(0, 100_000), 64);
    expectSameIds(tok, "it's   spaced\n\n out, <|endoftext|> 123 4567 and émoji 😀 text ".repeat(60), 16);
    const prefix = tok.encodeBoundedSync(wiki, { maxTokens: 1000, pieceChars: 128 });
    expect(firstDiff(prefix.ids, whole.slice(0, 1000))).toBe(-1);
    expect(prefix.complete).toBe(false);
  });

  it('a tokenizer without a known safe cut (a Lowercase normalizer added): one piece, the same ids and prefixes', () => {
    const normalizer = { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, ...((storiesJson.normalizer as { normalizers: unknown[] }).normalizers)] };
    const json = { ...storiesJson, normalizer };
    expect(pieceCutsOf(json)).toBe('none');
    expect(pieceCutsOf(storiesJson, { remove_space: true })).toBe('none');
    const tok = createTextTokenizer(json, storiesConfig);
    const text = wiki.slice(0, 30_000);
    expectSameIds(tok, text, 64);
    const prefix = tok.encodeBoundedSync(text, { maxTokens: 100 });
    expect(firstDiff(prefix.ids, tok.encode(text).slice(0, 100))).toBe(-1);
  });
});

/** Seeded character soup: runs of spaces, digits, punctuation, newlines, marks next to letters, where a careless cut would change ids. */
function soup(length: number, seed: number): string {
  const alphabet = ['a', 'b', 'e', 'th', ' ', ' ', ' ', '  ', '1', '23', ',', '.', '\n', "'s", "'", '\u0301', 'é', '😀', '<s>', '\t', '-'];
  let x = seed >>> 0 || 1;
  let out = '';
  while (out.length < length) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += alphabet[(x >>> 0) % alphabet.length];
  }
  return out;
}

/** GPT-2's byte → printable character table. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table: string[] = [];
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

/** A byte-level BPE tokenizer.json with `merges` merges learned on `sample` (plain BPE training: most frequent pair first). */
function byteLevelTokenizerJson(sample: string, merges: number): Record<string, unknown> {
  const table = bytesToUnicode();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const w of sample.match(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu) ?? []) {
    const key = Array.from(encoder.encode(w), (b) => table[b]).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let words = [...counts].map(([k, c]) => ({ symbols: k.split('\u0000'), count: c }));
  const vocab: Record<string, number> = {};
  table.forEach((ch) => (vocab[ch] = Object.keys(vocab).length));
  const learned: string[] = [];
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.symbols.length; i++) {
      const p = `${w.symbols[i]} ${w.symbols[i + 1]}`;
      pairs.set(p, (pairs.get(p) ?? 0) + w.count);
    }
    let best = '';
    let bestCount = 0;
    for (const [p, c] of pairs) if (c > bestCount) [best, bestCount] = [p, c];
    if (!best) break;
    const [a, b] = best.split(' ');
    learned.push(best);
    vocab[a + b] ??= Object.keys(vocab).length;
    words = words.map((w) => {
      const out: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(w.symbols[i]);
      }
      return { symbols: out, count: w.count };
    });
  }
  const eos = Object.keys(vocab).length;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: eos, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: learned },
  };
}
