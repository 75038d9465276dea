// The only importer of @huggingface/tokenizers: text ⇄ ids for a dropped tokenizer.json.
// Browser-safe (no fs): callers pass the parsed JSON objects.

import { Tokenizer } from '@huggingface/tokenizers';
import { LabError } from '../errors';
import { tokenizerJsonMaxId } from './tokenizer-json';

export interface TextTokenizer {
  /** Ids as the tokenizer's post-processor makes them (e.g. with <s> first for Llama). */
  encode(text: string): number[];
  /** Text for ids, special tokens skipped. */
  decode(ids: number[]): string;
  /** Number of ids the tokenizer knows (maxTokenId + 1). */
  readonly vocabSize: number;
  readonly maxTokenId: number;
}

export function createTextTokenizer(
  json: Record<string, unknown>,
  config: Record<string, unknown> = {},
): TextTokenizer {
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw new LabError('corrupt', `tokenizer.json: cannot be loaded (${(e as Error).message})`, { path: 'tokenizer.json' });
  }
  const maxTokenId = tokenizerJsonMaxId(json);
  return {
    encode: (text) => tokenizer.encode(text).ids,
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
    vocabSize: maxTokenId + 1,
    maxTokenId,
  };
}
