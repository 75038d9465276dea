import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { storiesDir } from '../model/helpers';

const read = (f: string) => JSON.parse(fs.readFileSync(path.join(storiesDir, f), 'utf8')) as Record<string, unknown>;

describe('createTextTokenizer', () => {
  const tok = createTextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));

  it('encodes with <s> first and round-trips text, skipping special tokens', () => {
    const ids = tok.encode('Once upon a time, there was a little girl named Lily.');
    expect(ids[0]).toBe(1);
    expect(ids.length).toBeGreaterThan(5);
    expect(ids.every((id) => id >= 0 && id < 512)).toBe(true);
    expect(tok.decode(ids)).toBe('Once upon a time, there was a little girl named Lily.');
    expect(tok.decode([1, ...ids.slice(1), 2])).toBe('Once upon a time, there was a little girl named Lily.');
  });

  it('reports the vocabulary size from tokenizer.json', () => {
    expect(tok.vocabSize).toBe(512);
    expect(tok.maxTokenId).toBe(511);
  });

  it('is browser-safe: the module source uses no node: imports or fs', () => {
    const src = fs.readFileSync(new URL('../../src/tokenizer/text-tokenizer.ts', import.meta.url), 'utf8');
    expect(src).not.toMatch(/from ['"](node:|fs['"])/);
  });
});
