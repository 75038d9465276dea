// Zero-shot multiple choice (HellaSwag and any jsonl with the same fields), scored as lm-evaluation-harness
// scores it: each ending's log-likelihood given the query is the sum of its tokens' log-probabilities;
// `acc` picks the ending with the largest sum, `acc_norm` the largest sum per byte of the ending.
// The continuation is " " + ending (the harness's target delimiter); its tokens are those of
// encode(query + " " + ending) after the first |encode(query)| (the harness's _encode_pair), so a
// token merged across the boundary counts for the ending. Sequences longer than the context keep
// their last tokens.

import { LabError } from '../errors';

export interface ChoiceItem {
  query: string;
  endings: string[];
  /** Index of the right ending. */
  label: number;
}

export interface TokenNllScorer {
  /** Per window (one length L), the NLL of tokens 1..L−1 given those before. */
  tokenNlls(windows: Int32Array[]): Promise<Float32Array[]>;
}

export interface ChoiceProgress {
  itemsDone: number;
  items: number;
  /** acc and acc_norm over the items done so far. */
  acc: number;
  accNorm: number;
}

export interface ItemScore {
  label: number;
  /** Sum of log-probabilities of each ending's tokens (natural log). */
  logLikelihoods: number[];
  /** UTF-8 bytes of each ending (acc_norm's divisor). */
  endingBytes: number[];
  predicted: number;
  predictedNorm: number;
}

export interface ChoiceResult {
  acc: number;
  accNorm: number;
  /** Standard errors of the two means, √(p(1−p)/(n−1)) as the harness reports them. */
  accStderr: number;
  accNormStderr: number;
  items: number;
  /** Items in the data before maxItems. */
  itemsAvailable: number;
  /** Mean of 1 / (number of endings): the accuracy of guessing. */
  chance: number;
  dataName: string;
  elapsedMs: number;
  scores: ItemScore[];
}

/** What a run keeps of a result (no per-item scores). */
export type ChoiceSummary = Pick<ChoiceResult, 'acc' | 'accNorm' | 'accStderr' | 'accNormStderr' | 'items' | 'dataName'>;

export function choiceSummary(r: ChoiceResult): ChoiceSummary {
  return { acc: r.acc, accNorm: r.accNorm, accStderr: r.accStderr, accNormStderr: r.accNormStderr, items: r.items, dataName: r.dataName };
}

export interface ChoiceOptions {
  /** Tokens the model reads at most (its context). */
  maxTokens: number;
  maxItems?: number;
  dataName: string;
  signal?: AbortSignal;
  onProgress?: (p: ChoiceProgress) => void;
}

/** Items of a jsonl file, one JSON object per non-empty line: {query, endings: string[] (≥ 2), label}. */
export function parseChoiceItems(text: string, fileName: string): ChoiceItem[] {
  const items: ChoiceItem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.length === 0) return;
    const where = `${fileName}: line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new LabError('corrupt', `${where}: not JSON (${error instanceof Error ? error.message : String(error)})`, { file: fileName, line: i + 1 });
    }
    const v = value as Record<string, unknown>;
    const bad = (what: string) => new LabError('corrupt', `${where}: ${what} (expected {"query": string, "endings": [string, …], "label": index})`, { file: fileName, line: i + 1 });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
    if (typeof v.query !== 'string' || v.query.trim().length === 0) throw bad('"query" must be a non-empty string');
    if (!Array.isArray(v.endings) || v.endings.length < 2 || v.endings.some((e) => typeof e !== 'string' || e.length === 0)) throw bad('"endings" must be a list of at least 2 non-empty strings');
    if (!Number.isInteger(v.label) || (v.label as number) < 0 || (v.label as number) >= v.endings.length) throw bad(`"label" must be an index into endings (0..${v.endings.length - 1}), got ${JSON.stringify(v.label)}`);
    items.push({ query: v.query, endings: v.endings as string[], label: v.label as number });
  });
  if (items.length === 0) throw new LabError('bad-text', `${fileName}: no items (one JSON object per line)`, { file: fileName });
  return items;
}

const utf8 = new TextEncoder();

/** Index of the largest value (the first on ties, as numpy's argmax). */
function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The token sequence of query + " " + ending, and where the ending's tokens start in it. */
export function choiceSequence(encode: (text: string) => number[], query: string, ending: string, maxTokens: number): { ids: number[]; continuationStart: number } {
  const context = encode(query);
  const whole = encode(`${query} ${ending}`);
  let start = Math.min(context.length, whole.length - 1);
  let ids = whole;
  // Keep the last maxTokens tokens; at least one token of context stays before the ending.
  if (ids.length > maxTokens) {
    const cut = ids.length - maxTokens;
    ids = ids.slice(cut);
    start = Math.max(1, start - cut);
  }
  return { ids, continuationStart: Math.max(1, start) };
}

export async function evaluateMultipleChoice(scorer: TokenNllScorer, encode: (text: string) => number[], items: ChoiceItem[], options: ChoiceOptions): Promise<ChoiceResult> {
  const started = performance.now();
  const n = Math.min(items.length, options.maxItems ?? items.length);
  if (n < 1) throw new LabError('bad-argument', `maxItems must be at least 1, got ${options.maxItems}`);
  const scores: ItemScore[] = [];
  let [correct, correctNorm] = [0, 0];
  for (let k = 0; k < n; k++) {
    if (options.signal?.aborted) throw new LabError('cancelled', 'Cancelled.');
    const item = items[k];
    const sequences = item.endings.map((ending) => choiceSequence(encode, item.query, ending, options.maxTokens));
    // One run per item: the endings padded to one length (padding comes after, so a causal model ignores it).
    const L = Math.max(2, ...sequences.map((s) => s.ids.length));
    const windows = sequences.map((s) => {
      const w = new Int32Array(L);
      w.set(s.ids);
      return w;
    });
    const nlls = await scorer.tokenNlls(windows);
    const logLikelihoods = sequences.map((s, e) => {
      let sum = 0;
      for (let t = s.continuationStart; t < s.ids.length; t++) sum -= nlls[e][t - 1];
      return sum;
    });
    const endingBytes = item.endings.map((e) => utf8.encode(e).length);
    const predicted = argmax(logLikelihoods);
    const predictedNorm = argmax(logLikelihoods.map((ll, e) => ll / endingBytes[e]));
    scores.push({ label: item.label, logLikelihoods, endingBytes, predicted, predictedNorm });
    correct += predicted === item.label ? 1 : 0;
    correctNorm += predictedNorm === item.label ? 1 : 0;
    options.onProgress?.({ itemsDone: k + 1, items: n, acc: correct / (k + 1), accNorm: correctNorm / (k + 1) });
  }
  const stderr = (p: number) => (n > 1 ? Math.sqrt((p * (1 - p)) / (n - 1)) : 0);
  const [acc, accNorm] = [correct / n, correctNorm / n];
  return {
    acc,
    accNorm,
    accStderr: stderr(acc),
    accNormStderr: stderr(accNorm),
    items: n,
    itemsAvailable: items.length,
    chance: items.slice(0, n).reduce((s, it) => s + 1 / it.endings.length, 0) / n,
    dataName: options.dataName,
    elapsedMs: performance.now() - started,
    scores,
  };
}
