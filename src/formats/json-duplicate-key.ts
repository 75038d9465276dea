// JSON.parse keeps the last of two equal keys without a word; a safetensors header or config.json that
// names a tensor or field twice is ambiguous (readers disagree on which copy wins), so the readers ask for
// the first repeated key before trusting the parse.

/** The first key that appears twice within one object of `json` (already valid JSON), at any depth, else null. */
export function firstDuplicateKey(json: string): string | null {
  /** One entry per open object or array: the keys seen so far (null for arrays). */
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c /* \ */) i++;
      const keys = open[open.length - 1];
      if (!keys) continue;
      let next = i + 1;
      while (next < json.length && /\s/.test(json[next])) next++;
      if (json[next] !== ':') continue;
      const key = JSON.parse(json.slice(start, i + 1)) as string;
      if (keys.has(key)) return key;
      keys.add(key);
    } else if (c === 0x7b /* { */) open.push(new Set());
    else if (c === 0x5b /* [ */) open.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) open.pop();
  }
  return null;
}
