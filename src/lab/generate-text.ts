// Greedy text from a prompt on one engine, as a GenerateResult: Lab.generate (the loaded model) and the
// prune job (dense and pruned, same prompt) share it. No React, no store.

import { generateGreedy } from '../evaluation/generate';
import type { ModelConfig } from '../model/model-spec';
import type { Engine } from '../runtime/engine';
import type { TextTokenizer } from '../tokenizer/text-tokenizer';
import type { GenerateProgress, GenerateRequest, GenerateResult } from './lab-api';

export const DEFAULT_NEW_TOKENS = 40;

export async function generateText(
  engine: Engine,
  tokenizer: TextTokenizer,
  config: ModelConfig,
  request: GenerateRequest,
  options: { signal?: AbortSignal; onProgress?: (progress: GenerateProgress) => void } = {},
): Promise<GenerateResult> {
  const promptIds = tokenizer.encode(request.prompt);
  const result = await generateGreedy(engine, promptIds, {
    maxNewTokens: request.maxNewTokens ?? DEFAULT_NEW_TOKENS,
    eosTokenIds: config.eosTokenIds,
    contextLength: config.maxPositionEmbeddings,
    decode: (ids) => tokenizer.decode(ids),
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return {
    text: tokenizer.decode(result.tokenIds),
    promptTokens: promptIds.length,
    newTokens: result.newTokens,
    tokenIds: result.tokenIds,
    stoppedBy: result.stoppedBy,
    elapsedMs: result.elapsedMs,
  };
}
