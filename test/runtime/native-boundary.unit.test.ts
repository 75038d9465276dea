// The browser bundle must never contain onnxruntime-node: only runtime/native-ort.ts imports it, and
// only Node entry points (the CLI) import native-ort. onnxruntime-web stays behind runtime/ort.ts.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/model-files';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

const importsOf = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\(|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);

describe('runtime boundaries', () => {
  const files = sourceFiles(path.join(repoRoot, 'src')).map((f) => path.relative(repoRoot, f).split(path.sep).join('/'));
  const importers = (test: (spec: string) => boolean) => files.filter((f) => importsOf(path.join(repoRoot, f)).some(test)).sort();

  it('onnxruntime-node is loaded only by runtime/native-ort.ts, which only the CLI imports', () => {
    const nodeSource = files.filter((f) => fs.readFileSync(path.join(repoRoot, f), 'utf8').includes("'onnxruntime-node'"));
    expect(nodeSource).toEqual(['src/runtime/native-ort.ts']);
    const nativeUsers = importers((s) => s.endsWith('/native-ort'));
    expect(nativeUsers.length).toBeGreaterThan(0);
    for (const f of nativeUsers) expect(f).toMatch(/^src\/cli\//);
  });

  it('lower layers never import higher ones (lab, store, ui, cli)', () => {
    const lower = /^src\/(formats|model|graph|runtime|pruning|evaluation|export|tokenizer)\//;
    const offenders = files
      .filter((f) => lower.test(f))
      .flatMap((f) => importsOf(path.join(repoRoot, f)).filter((s) => /(^|\/)(lab|store|ui|cli)\//.test(s)).map((s) => `${f} → ${s}`));
    expect(offenders).toEqual([]);
  });

  it('onnxruntime-web is imported only by runtime/ort.ts', () => {
    expect(importers((s) => s.startsWith('onnxruntime-web'))).toEqual(['src/runtime/ort.ts']);
  });
});
