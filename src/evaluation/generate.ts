// Greedy generation with the KV cache: stops at an eos id, at maxNewTokens or at the context.
// Text decoding is the caller's (tokenizer) job, passed in as `decode`; no runtime import.

import { LabError, throwIfCancelled } from '../errors';

export interface GenerateProgress {
  tokens: number;
  text: string;
}

export interface Decoder {
  prefill(ids: number[]): Promise<Float32Array>;
  step(token: number): Promise<Float32Array>;
  /** Makes room for `tokens` tokens in the cache before they come (so a fixed cache does not grow mid-measurement). */
  reserve?(tokens: number): Promise<void>;
}

export interface GenerateOptions {
  maxNewTokens: number;
  eosTokenIds: number[];
  /** Most tokens (prompt + new) the model can attend to. */
  contextLength: number;
  /** Turns ids (prompt + new) into text for progress; omitted → progress text is ''. */
  decode?: (ids: number[]) => string;
  signal?: AbortSignal;
  onProgress?: (progress: GenerateProgress) => void;
}

export interface GreedyResult {
  /** Prompt and new tokens. */
  tokenIds: number[];
  newTokens: number;
  stoppedBy: 'eos' | 'max-new-tokens' | 'context';
  elapsedMs: number;
}

export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export async function generateGreedy(decoder: Decoder, promptIds: number[], options: GenerateOptions): Promise<GreedyResult> {
  const { maxNewTokens, contextLength, signal } = options;
  if (promptIds.length === 0) throw new LabError('bad-argument', 'the prompt has no tokens');
  if (promptIds.length >= contextLength)
    throw new LabError('bad-argument', `the prompt has ${promptIds.length} tokens; the model's context is ${contextLength}`);
  const eos = new Set(options.eosTokenIds);
  const started = performance.now();
  const ids = [...promptIds];
  throwIfCancelled(signal);
  let logits = await decoder.prefill(promptIds);
  let stoppedBy: GreedyResult['stoppedBy'] = 'max-new-tokens';
  for (let n = 0; n < maxNewTokens; n++) {
    throwIfCancelled(signal);
    const next = argmax(logits);
    if (eos.has(next)) {
      stoppedBy = 'eos';
      break;
    }
    ids.push(next);
    options.onProgress?.({ tokens: ids.length - promptIds.length, text: options.decode?.(ids) ?? '' });
    if (n + 1 === maxNewTokens) break;
    if (ids.length >= contextLength) {
      stoppedBy = 'context';
      break;
    }
    logits = await decoder.step(next);
  }
  return { tokenIds: ids, newTokens: ids.length - promptIds.length, stoppedBy, elapsedMs: performance.now() - started };
}
