// Facts read straight from a tokenizer.json object, without the tokenizer package (so model/ can
// check vocabulary size without loading it). Pure module.

import { LabError } from '../errors';

/**
 * Largest token id the tokenizer can emit: model.vocab ids (object or [piece, score] list) and added_tokens.
 * An id that is not a whole number ≥ 0, or a vocab that is neither an object nor a list, is 'corrupt'
 * naming the file (the tokenizer package would otherwise emit ids such as -0.5 or fail on first use).
 */
export function tokenizerJsonMaxId(json: Record<string, unknown>, path = 'tokenizer.json'): number {
  let maxId = -1;
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab = model && typeof model === 'object' ? model.vocab : undefined;
  const badId = (what: string, id: unknown) =>
    new LabError('corrupt', `${path}: corrupt: ${what} has id ${JSON.stringify(id) ?? String(id)}; token ids must be whole numbers ≥ 0`, { path });
  if (Array.isArray(vocab)) maxId = vocab.length - 1; // Unigram: [[piece, score], ...], ids are positions
  else if (vocab && typeof vocab === 'object') {
    for (const [piece, id] of Object.entries(vocab as Record<string, unknown>)) {
      if (!Number.isSafeInteger(id) || (id as number) < 0) throw badId(`token '${piece.slice(0, 40)}' of model.vocab`, id);
      if ((id as number) > maxId) maxId = id as number;
    }
  } else if (vocab !== undefined && vocab !== null) {
    throw new LabError('corrupt', `${path}: corrupt: model.vocab is ${typeof vocab === 'string' ? 'a string' : JSON.stringify(vocab)}; it must be an object (piece → id) or a list`, { path });
  }
  const added = json.added_tokens;
  if (Array.isArray(added)) {
    for (const t of added) {
      const id = (t as { id?: unknown } | null)?.id;
      if (id === undefined) continue;
      if (!Number.isSafeInteger(id) || (id as number) < 0) throw badId(`added token ${JSON.stringify((t as { content?: unknown }).content)?.slice(0, 40) ?? '?'}`, id);
      if ((id as number) > maxId) maxId = id as number;
    }
  }
  return maxId;
}
