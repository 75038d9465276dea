// The data files bundled with the app (public/data/, served from our own origin; read from disk by the
// CLI): evaluation and calibration texts, and the multiple-choice items for zero-shot accuracy.

export const BUNDLED_FILES = {
  tinystories: 'tinystories-valid-sample.txt',
  wikitext2: 'wikitext-2-raw-test.txt',
  hellaswag: 'hellaswag-val-first300.jsonl',
} as const;

export type BundledId = keyof typeof BUNDLED_FILES;

/** The name a data source reports: the bundled file's name, or the dropped file's. */
export function sourceName(source: { kind: 'bundled'; id: BundledId } | { kind: 'file'; name: string }): string {
  return source.kind === 'bundled' ? BUNDLED_FILES[source.id] : source.name;
}
