// Facts read straight from a tokenizer.json object, without the tokenizer package (so model/ can
// check vocabulary size without loading it). Pure module.

/** Largest token id the tokenizer can emit: model.vocab ids (object or [piece, score] list) and added_tokens. */
export function tokenizerJsonMaxId(json: Record<string, unknown>): number {
  let maxId = -1;
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) maxId = vocab.length - 1; // Unigram: [[piece, score], ...], ids are positions
  else if (vocab && typeof vocab === 'object') {
    for (const id of Object.values(vocab as Record<string, unknown>)) {
      if (typeof id === 'number' && id > maxId) maxId = id;
    }
  }
  const added = json.added_tokens;
  if (Array.isArray(added)) {
    for (const t of added) {
      const id = (t as { id?: unknown })?.id;
      if (typeof id === 'number' && id > maxId) maxId = id;
    }
  }
  return maxId;
}
