// The only runtime importer of @huggingface/tokenizers (piece-encoder.ts takes its type): text ⇄ ids for a dropped tokenizer.json.
// Browser-safe (no fs): callers pass the parsed JSON objects.

import { Tokenizer } from '@huggingface/tokenizers';
import { LabError, throwIfCancelled } from '../errors';
import { pieceEncoder, type BoundedEncoding, type EncodeBoundedOptions, type PieceCuts, type PieceEncoder } from './piece-encoder';
import { tokenizerJsonMaxId } from './tokenizer-json';

export { HARD_CUT_CHARS, PIECE_CHARS, pieceCutsOf, type BoundedEncoding, type EncodeBoundedOptions, type PieceCuts } from './piece-encoder';

export interface TextTokenizer {
  /** Ids as the tokenizer's post-processor makes them (e.g. with <s> first for Llama). */
  encode(text: string): number[];
  /** Text for ids, special tokens skipped. */
  decode(ids: number[]): string;
  /** Number of ids the tokenizer knows (maxTokenId + 1). */
  readonly vocabSize: number;
  readonly maxTokenId: number;
  /**
   * `encode(text)` in bounded pieces: stops once it has `maxTokens` ids, yields to the event loop
   * between pieces (so `signal` can cancel it: LabError 'cancelled'), reports characters done. For the
   * guarantee (ids equal to encode's), see `pieceCuts` and encodePieces below.
   */
  encodeBounded(text: string, options?: EncodeBoundedOptions): Promise<BoundedEncoding>;
  /** The same, in one synchronous call (no cancellation, no yielding). */
  encodeBoundedSync(text: string, options?: Omit<EncodeBoundedOptions, 'signal'>): BoundedEncoding;
  /** Where this tokenizer's text may be cut into pieces without changing its ids ('none': never; encoded whole). */
  readonly pieceCuts: PieceCuts;
}

export function createTextTokenizer(
  json: Record<string, unknown>,
  config: Record<string, unknown> = {},
): TextTokenizer {
  checkTextMultipliers(json);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw new LabError('corrupt', `tokenizer.json: cannot be loaded (${(e as Error).message})`, { path: 'tokenizer.json' });
  }
  const maxTokenId = tokenizerJsonMaxId(json);
  // The package checks little when it loads: a broken post_processor, vocab or pattern fails on first
  // use with a TypeError. Every use goes through `guarded`, and the probe encodes below run now, at load.
  tokenizer = guarded(tokenizer);
  let pieces: PieceEncoder;
  try {
    pieces = pieceEncoder(tokenizer, json, config);
  } catch (e) {
    throw e instanceof LabError ? e : tokenizerFailed('cannot be loaded', e);
  }
  return {
    encode: (text) => tokenizer.encode(text).ids,
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
    vocabSize: maxTokenId + 1,
    maxTokenId,
    encodeBounded: async (text, options = {}) => {
      const run = pieces.run(text, options);
      let lastYield = performance.now();
      for (;;) {
        throwIfCancelled(options.signal);
        const step = run.next();
        if (step.done) return step.value;
        // Yield (a macrotask, so a cancel message can arrive) at most every ~20 ms of work.
        if (performance.now() - lastYield > 20) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
    },
    encodeBoundedSync: (text, options = {}) => {
      const run = pieces.run(text, options);
      for (;;) {
        const step = run.next();
        if (step.done) return step.value;
      }
    },
    pieceCuts: pieces.cuts,
  };
}

/** Longest Replace content / Prepend text accepted: real tokenizers use 1–3 characters ("▁", " "). */
const MAX_INSERTED_CHARS = 16;

/**
 * A normalizer or pre-tokenizer that writes a long text for every space (or before every word) makes the
 * text it produces that many times longer: a 1 MiB Replace content turns a sentence into megabytes that
 * BPE then works on for minutes, synchronously. Refused by name before the tokenizer is built.
 */
function checkTextMultipliers(json: Record<string, unknown>): void {
  const visit = (step: unknown, where: string, depth: number): void => {
    if (!step || typeof step !== 'object' || depth > 8) return;
    const o = step as Record<string, unknown>;
    for (const key of ['content', 'prepend', 'replacement'] as const) {
      const text = o[key];
      if (text === undefined || !['Replace', 'Prepend', 'Metaspace'].includes(String(o.type))) continue;
      if (typeof text !== 'string' || text.length > MAX_INSERTED_CHARS) {
        const what = typeof text === 'string' ? `${text.length} characters` : `not a string (${Array.isArray(text) ? `a list of ${text.length}` : typeof text})`;
        throw new LabError(
          'corrupt',
          `tokenizer.json: corrupt: the ${where} ${String(o.type)} step's ${key} is ${what}; it must be a string of at most ${MAX_INSERTED_CHARS} characters, or it would multiply the length of every text`,
          { path: 'tokenizer.json', step: String(o.type), key },
        );
      }
    }
    for (const list of [o.normalizers, o.pretokenizers]) if (Array.isArray(list)) for (const s of list) visit(s, where, depth + 1);
  };
  visit(json.normalizer, 'normalizer', 0);
  visit(json.pre_tokenizer, 'pre_tokenizer', 0);
}

function tokenizerFailed(what: string, cause: unknown): LabError {
  const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new LabError('corrupt', `tokenizer.json: ${what} (${why.slice(0, 300)}); the file is damaged or uses a form this lab cannot read`, { path: 'tokenizer.json' });
}

/** The tokenizer with encode/decode failures as LabError 'corrupt' naming tokenizer.json. */
function guarded(tokenizer: Tokenizer): Tokenizer {
  const encode = tokenizer.encode.bind(tokenizer);
  const decode = tokenizer.decode.bind(tokenizer);
  const wrap =
    <A extends unknown[], R>(what: string, f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args);
      } catch (e) {
        throw e instanceof LabError ? e : tokenizerFailed(what, e);
      }
    };
  return Object.assign(Object.create(tokenizer) as Tokenizer, { encode: wrap('cannot encode text', encode), decode: wrap('cannot decode ids', decode) });
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
