// Encoding a long text in bounded pieces whose ids, concatenated, are the whole text's (see pieceEncoder):
// the cut rules per tokenizer kind, the piece loop as a generator (text-tokenizer.ts drives it, yielding to
// the event loop between pieces), and a compact id buffer. Browser-safe.

import type { Tokenizer } from '@huggingface/tokenizers';

/**
 * 'metaspace': a sentencepiece-style BPE (Llama: Prepend "▁" + Replace " "→"▁" normalizer, or a Metaspace
 * pre-tokenizer that prepends), no pre-split: a piece begins after a single space that is dropped (the
 * piece's own prepended "▁" stands for it), between two non-space characters, where no merge joins the
 * character before with "▁". 'byte-level': GPT-2's ByteLevel pre-tokenizer (its regex splits words): a
 * piece begins at a single space between two letters (the space stays with the next word). 'none': any
 * other tokenizer; the text is encoded in one piece.
 */
export type PieceCuts = 'metaspace' | 'byte-level' | 'none';

export interface EncodeBoundedOptions {
  /** Stop once this many ids are known: the result is then the first `maxTokens` ids of the whole text's. */
  maxTokens?: number;
  signal?: AbortSignal;
  /** After each piece: characters of the text encoded so far, and in all. */
  onProgress?: (charsDone: number, charsTotal: number) => void;
  /** Target characters per piece (default PIECE_CHARS; tests use small pieces to put many cuts in a text). */
  pieceChars?: number;
}

export interface BoundedEncoding {
  ids: Int32Array;
  /** True when the whole text was encoded (ids = encode(text)); false when maxTokens stopped it first. */
  complete: boolean;
  /** Characters of the text consumed. */
  charsDone: number;
  /**
   * Pieces cut at a point not proven safe: a run of HARD_CUT_CHARS characters with no safe cut (e.g. a
   * text without spaces). 0 for ordinary text; where > 0, ids next to such a cut may differ from encode's.
   */
  hardCuts: number;
}

/**
 * Default characters per piece. Small on purpose: @huggingface/tokenizers' BPE over one pre-token costs
 * more per character the longer it is (a 1 MB single-line text, stories260K: 2.2 s in 1 Ki pieces,
 * 4.0 s in 4 Ki, 16 s in 64 Ki; the whole 5 MB line in one piece ~60 s).
 */
export const PIECE_CHARS = 1024;
/** A piece with no safe cut within this many characters is cut hard (BoundedEncoding.hardCuts). */
export const HARD_CUT_CHARS = 65_536;

/** A growing Int32Array (doubling), so a long text's ids take 4 bytes each. */
class IdBuffer {
  private buf = new Int32Array(1024);
  length = 0;
  /** Appends ids up to `limit` in all; false when some did not fit. */
  push(ids: ArrayLike<number>, limit = Infinity): boolean {
    const n = Math.max(0, Math.min(ids.length, limit - this.length));
    if (n === 0) return ids.length === 0;
    if (this.length + n > this.buf.length) {
      const grown = new Int32Array(Math.max(this.buf.length * 2, this.length + n));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    for (let i = 0; i < n; i++) this.buf[this.length + i] = ids[i];
    this.length += n;
    return n === ids.length;
  }
  /** The ids, trimmed to their length (a copy only when the buffer is over a quarter empty). */
  done(): Int32Array {
    return this.length * 4 >= this.buf.length * 3 ? this.buf.subarray(0, this.length) : this.buf.slice(0, this.length);
  }
}

export interface PieceEncoder {
  cuts: PieceCuts;
  /** Encodes piece by piece; each `next()` is one piece (the generator's return is the result). */
  run(text: string, options: Omit<EncodeBoundedOptions, 'signal'>): Generator<void, BoundedEncoding, void>;
}

/**
 * Exactness: a BPE merge never joins two symbols across a point where no merge's left side ends with the
 * character before it and no merge's right side starts with the character after it; merges on either side
 * are then independent (the priority queue's order within each side is unchanged), so the pieces' ids,
 * concatenated, are the whole text's. The cut rules of `PieceCuts` keep the pre-tokenized / normalized
 * text of the pieces, concatenated, equal to the whole text's; the special tokens the post-processor
 * adds (e.g. <s>) are added once, around the concatenation; a cut never touches an added token's text.
 */
export function pieceEncoder(tokenizer: Tokenizer, json: Record<string, unknown>, config: Record<string, unknown>): PieceEncoder {
  const cuts = pieceCutsOf(json, config);
  // The post-processor's specials: ids before and after a probe's own ids.
  const probe = 'a';
  const withSpecials = tokenizer.encode(probe).ids;
  const plain = tokenizer.encode(probe, { add_special_tokens: false }).ids;
  let at = -1;
  for (let i = 0; i + plain.length <= withSpecials.length && at < 0; i++) if (plain.every((id, j) => withSpecials[i + j] === id)) at = i;
  const specialsKnown = at >= 0 && plain.length > 0;
  const prefix = specialsKnown ? withSpecials.slice(0, at) : [];
  const suffix = specialsKnown ? withSpecials.slice(at + plain.length) : [];
  const mode: PieceCuts = specialsKnown ? cuts : 'none';
  const joinsBeforeMeta = mode === 'metaspace' ? lastCharsJoiningFirst(json, '\u2581') : new Set<string>();
  const added = addedTokenTexts(json);

  const touchesAddedToken = (text: string, cut: number): boolean => {
    for (const t of added) {
      // Any occurrence overlapping [cut − 1, cut + 2) (the space and its two neighbours).
      for (let i = text.indexOf(t, Math.max(0, cut - t.length)); i >= 0 && i <= cut + 1; i = text.indexOf(t, i + 1)) if (i + t.length >= cut) return true;
    }
    return false;
  };
  /** A safe cut at `i`: the next piece starts at i (byte-level) or i + 1 (metaspace; text[i] is the dropped space). */
  const safeAt = (text: string, i: number): boolean => {
    if (text.charCodeAt(i) !== 32 || i === 0 || i + 1 >= text.length) return false;
    const before = charBefore(text, i);
    const after = String.fromCodePoint(text.codePointAt(i + 1)!);
    if (mode === 'metaspace') {
      if (/[\s\p{M}\u2581]/u.test(before) || /[\s\p{M}\u2581]/u.test(after) || joinsBeforeMeta.has(before)) return false;
    } else if (!/\p{L}/u.test(before) || !/\p{L}/u.test(after)) return false;
    return !touchesAddedToken(text, i);
  };
  const skip = mode === 'metaspace' ? 1 : 0;

  function* run(text: string, options: Omit<EncodeBoundedOptions, 'signal'>): Generator<void, BoundedEncoding, void> {
    const maxTokens = options.maxTokens ?? Infinity;
    const pieceChars = Math.max(16, Math.floor(options.pieceChars ?? PIECE_CHARS));
    const ids = new IdBuffer();
    const finish = (complete: boolean, charsDone: number, hardCuts: number): BoundedEncoding => ({ ids: ids.done(), complete, charsDone, hardCuts });
    if (mode === 'none') {
      const all = ids.push(tokenizer.encode(text).ids, maxTokens);
      options.onProgress?.(text.length, text.length);
      return finish(all, text.length, 0);
    }
    let all = ids.push(prefix, maxTokens);
    let start = 0;
    let hardCuts = 0;
    let charsPerToken = 4; // updated from what the pieces so far gave
    while (start < text.length && ids.length < maxTokens) {
      // Pieces no longer than the ids still wanted need (with room), at most pieceChars.
      const wanted = Math.ceil((maxTokens - ids.length) * charsPerToken * 1.25) + 64;
      const target = Math.min(pieceChars, Math.max(64, wanted));
      let end = text.length;
      let next = text.length;
      if (start + target < text.length) {
        const cut = findCut(text, start, target, safeAt);
        if (cut >= 0) {
          end = cut;
          next = cut + skip;
        } else if (start + Math.max(target, HARD_CUT_CHARS) < text.length) {
          // No safe point in HARD_CUT_CHARS: a hard cut at a code point boundary.
          end = start + Math.max(target, HARD_CUT_CHARS);
          if (isLowSurrogate(text.charCodeAt(end))) end--;
          next = end;
          hardCuts++;
        }
      }
      const piece = tokenizer.encode(text.slice(start, end), { add_special_tokens: false }).ids;
      all = ids.push(piece, maxTokens) && all;
      if (piece.length > 0) charsPerToken = Math.max(0.5, (end - start) / piece.length);
      start = next;
      options.onProgress?.(Math.min(start, text.length), text.length);
      if (start < text.length && ids.length < maxTokens) yield;
    }
    // Complete: every piece encoded and every id (the suffix's too) kept.
    const complete = start >= text.length && all && ids.push(suffix, maxTokens);
    return finish(complete, Math.min(start, text.length), hardCuts);
  }
  return { cuts: mode, run };
}

/** The last safe cut at or before start + target (back to half of it), else the first after it (up to HARD_CUT_CHARS); −1 if none. */
function findCut(text: string, start: number, target: number, safeAt: (text: string, i: number) => boolean): number {
  const low = start + Math.max(1, Math.floor(target / 2));
  for (let i = text.lastIndexOf(' ', start + target); i >= low; i = text.lastIndexOf(' ', i - 1)) if (safeAt(text, i)) return i;
  const high = Math.min(text.length - 1, start + Math.max(target, HARD_CUT_CHARS));
  for (let i = text.indexOf(' ', start + target + 1); i >= 0 && i < high; i = text.indexOf(' ', i + 1)) if (safeAt(text, i)) return i;
  return -1;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The code point that ends just before index i. */
function charBefore(text: string, i: number): string {
  const c = text.charCodeAt(i - 1);
  return isLowSurrogate(c) && i >= 2 ? text.slice(i - 2, i) : text.slice(i - 1, i);
}

/** Last characters of the merges' left sides whose right side starts with `first`. */
function lastCharsJoiningFirst(json: Record<string, unknown>, first: string): Set<string> {
  const model = json.model as { merges?: unknown[] } | undefined;
  const out = new Set<string>();
  for (const m of model?.merges ?? []) {
    const [a, b] = Array.isArray(m) ? (m as string[]) : String(m).split(' ', 2);
    if (typeof a !== 'string' || typeof b !== 'string' || !b.startsWith(first)) continue;
    const chars = Array.from(a);
    if (chars.length > 0) out.add(chars[chars.length - 1]);
  }
  return out;
}

/** The texts of the added tokens (as written, and with "▁" read as a space). */
function addedTokenTexts(json: Record<string, unknown>): string[] {
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { content?: unknown }[]) : [];
  const texts = new Set<string>();
  for (const t of added) {
    if (typeof t?.content !== 'string' || t.content.length === 0) continue;
    texts.add(t.content);
    texts.add(t.content.replaceAll('\u2581', ' '));
  }
  return [...texts];
}

type Json = Record<string, unknown> | null | undefined;

/** Which cut rule (PieceCuts) is exact for this tokenizer.json; 'none' for anything not known to be. */
export function pieceCutsOf(json: Record<string, unknown>, config: Record<string, unknown> = {}): PieceCuts {
  const model = json.model as Json;
  if (!model || model.type !== 'BPE' || !Array.isArray(model.merges)) return 'none';
  if (model.dropout || model.ignore_merges || model.continuing_subword_prefix || model.end_of_word_suffix) return 'none';
  if (config.remove_space === true || config.do_lowercase_and_remove_accent === true) return 'none';
  const normalizer = json.normalizer as Json;
  const pre = json.pre_tokenizer as Json;
  const vocab = model.vocab && typeof model.vocab === 'object' ? (model.vocab as Record<string, unknown>) : {};
  const isPrepend = (n: Json) => n?.type === 'Prepend' && n.prepend === '\u2581';
  const isSpaceToMeta = (n: Json) => n?.type === 'Replace' && (n.pattern as Json)?.String === ' ' && n.content === '\u2581';
  const steps = normalizer?.type === 'Sequence' && Array.isArray(normalizer.normalizers) ? (normalizer.normalizers as Json[]) : normalizer ? [normalizer] : [];
  const metaNormalizer = steps.length === 2 && steps.some(isPrepend) && steps.some(isSpaceToMeta);
  const metaPre =
    !normalizer &&
    pre?.type === 'Metaspace' &&
    (pre.replacement ?? '\u2581') === '\u2581' &&
    (pre.str_rep ?? '\u2581') === '\u2581' &&
    ['always', 'first'].includes(String(pre.prepend_scheme ?? 'always'));
  if (((metaNormalizer && !pre) || metaPre) && '\u2581' in vocab) return 'metaspace';
  if (!normalizer && pre?.type === 'ByteLevel' && pre.use_regex !== false) return 'byte-level';
  return 'none';
}
