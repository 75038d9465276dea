// One text, two disjoint parts: the first three quarters of its tokens ('head', for calibration and
// training) and the last quarter ('tail', held out for perplexity), the 3:1 split of DReSS's best
// setting. Scoring a model on the tail of the text it was calibrated on is in-domain and never sees a
// calibration token.

export type TextPart = 'all' | 'head' | 'tail';

/** Share of the tokens held out at the end of a text. */
export const HELD_OUT_SHARE = 0.25;

/** The token index where the held-out tail begins. */
export function heldOutStart(tokenCount: number): number {
  return Math.floor(tokenCount * (1 - HELD_OUT_SHARE));
}

/**
 * How many of a text's first tokens settle the first `wanted` tokens of `part`: `wanted` for 'all'; for
 * 'head', a count n with heldOutStart(n) ≥ wanted (a text with at least n tokens has a head that long);
 * Infinity for 'tail' (it starts at a fraction of the whole text's count).
 */
export function tokensNeeded(part: TextPart, wanted: number): number {
  if (!(wanted >= 0) || !Number.isFinite(wanted) || (part !== 'all' && part !== 'head')) return Infinity;
  if (part === 'all') return Math.ceil(wanted);
  let n = Math.ceil(wanted / (1 - HELD_OUT_SHARE));
  while (heldOutStart(n) < wanted) n++;
  return n;
}

/** The tokens of `part` ('all' returns `ids` itself). */
export function tokensOfPart<T extends ArrayLike<number> & { slice(start?: number, end?: number): T }>(ids: T, part: TextPart = 'all'): T {
  if (part === 'all') return ids;
  const split = heldOutStart(ids.length);
  return part === 'head' ? ids.slice(0, split) : ids.slice(split);
}

/** The text's name with its part, as results and charts show it. */
export function partName(name: string, part: TextPart = 'all'): string {
  if (part === 'all') return name;
  return part === 'head' ? `${name} (first three quarters)` : `${name} (held-out last quarter)`;
}

/**
 * The tokens an evaluation of `maxWindows` windows of `seqLen` on `part` scores, tokenizing the text only as far
 * as they need (`encode(maxTokens)`: the text's first ids, `complete` when they are all of them; 'tail' and no
 * `maxWindows` need the whole text). `complete: false`: only a prefix of the text was tokenized.
 */
export async function tokensForWindows(
  encode: (maxTokens: number) => Promise<{ ids: Int32Array; complete: boolean }>,
  part: TextPart,
  seqLen: number,
  maxWindows: number | undefined,
): Promise<{ ids: Int32Array; complete: boolean }> {
  const wanted = maxWindows !== undefined && maxWindows >= 1 ? Math.ceil(maxWindows) * seqLen : Infinity;
  const { ids, complete } = await encode(tokensNeeded(part, wanted));
  return { ids: complete ? tokensOfPart(ids, part) : ids.subarray(0, wanted), complete };
}
