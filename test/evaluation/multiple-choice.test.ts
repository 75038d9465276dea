// Zero-shot accuracy on the real stories260K through Lab.evaluateAccuracy (onnxruntime-node cpu): every
// ending's log-likelihood equals an independent computation on the first items (full logits, log-softmax
// in float64, summed over the ending's tokens, written out here), acc and acc_norm follow from them;
// the pruned model is scored on request; bad input is refused.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import { createEngine } from '../../src/runtime/engine';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { repoRoot, stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const hellaswag = fs.readFileSync(path.join(repoRoot, 'public/data/hellaswag-val-first300.jsonl'), 'utf8');
const lab = new Lab({ preferWebGpu: false, nativeBackend: 'cpu', loadText: async (id) => (id === 'hellaswag' ? hellaswag : fs.readFileSync(tinyStoriesPath, 'utf8')) });

beforeAll(async () => {
  useNativeOrt();
  await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
});
afterAll(() => lab.dispose());

describe('zero-shot multiple choice on stories260K', () => {
  it('log-likelihoods match an independent computation from the full logits; acc and acc_norm follow', async () => {
    const progress: number[] = [];
    const r = await lab.evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 4 }, { onProgress: (p) => progress.push(p.itemsDone) });
    expect([r.items, r.itemsAvailable, r.dataName, r.which]).toEqual([4, 300, 'hellaswag-val-first300.jsonl', 'loaded']);
    expect(progress).toEqual([1, 2, 3, 4]);

    const loaded = await stories260KLayouts['safetensors checkpoint']().then((files) => import('../../src/model/load-model').then((m) => m.loadModelFromFiles(files)));
    const tokenizer = createTextTokenizer(loaded.tokenizerJson, loaded.tokenizerConfig);
    const engine = await createEngine(loaded.spec, { backend: 'cpu' });
    const V = loaded.spec.config.vocabSize;
    const items = hellaswag.trim().split('\n').slice(0, 4).map((line) => JSON.parse(line) as { query: string; endings: string[]; label: number });
    let [correct, correctNorm] = [0, 0];
    for (const [k, item] of items.entries()) {
      const lls: number[] = [];
      for (const ending of item.endings) {
        const contextLength = tokenizer.encode(item.query).length;
        const ids = tokenizer.encode(`${item.query} ${ending}`);
        const logits = await engine.logits(ids); // [T, V]
        let ll = 0;
        for (let t = contextLength; t < ids.length; t++) {
          const row = logits.subarray((t - 1) * V, t * V);
          const max = Math.max(...row);
          const logSum = Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
          ll += row[ids[t]] - logSum;
        }
        lls.push(ll);
      }
      lls.forEach((ll, e) => expect(Math.abs(r.scores[k].logLikelihoods[e] - ll), `item ${k} ending ${e}`).toBeLessThan(1e-3));
      const bytes = item.endings.map((e) => Buffer.byteLength(e, 'utf8'));
      const best = lls.indexOf(Math.max(...lls));
      const perByte = lls.map((ll, e) => ll / bytes[e]);
      const bestNorm = perByte.indexOf(Math.max(...perByte));
      expect([r.scores[k].predicted, r.scores[k].predictedNorm]).toEqual([best, bestNorm]);
      correct += best === item.label ? 1 : 0;
      correctNorm += bestNorm === item.label ? 1 : 0;
    }
    expect(r.acc).toBe(correct / 4);
    expect(r.accNorm).toBe(correctNorm / 4);
    await engine.dispose();
  }, 120_000);

  it('all 300 items: acc and acc_norm with their standard errors; the pruned model is scored on request', async () => {
    const dense = await lab.evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' } });
    expect(dense.items).toBe(300);
    expect(dense.chance).toBe(0.25);
    for (const a of [dense.acc, dense.accNorm]) expect(a).toBeGreaterThan(0.1); // a 260K-parameter model sits near chance (0.25)
    expect(dense.accStderr).toBeCloseTo(Math.sqrt((dense.acc * (1 - dense.acc)) / 299), 12);
    // A prune run measures both sides on the same items: what evaluateAccuracy gives for each model.
    const run = await lab.prune({
      methodId: 'drop-blocks',
      params: { blocks: '1,2,3' },
      calibration: { text: { kind: 'bundled', id: 'tinystories' }, windows: 1, seqLen: 32 },
      accuracy: { data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 40 },
    });
    const pruned = await lab.evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 40, which: 'pruned' });
    expect(pruned.which).toBe('pruned');
    // Another model gives other log-likelihoods.
    expect(pruned.scores[0].logLikelihoods).not.toEqual(dense.scores[0].logLikelihoods);
    const dense40 = dense.scores.slice(0, 40);
    expect(run.accuracyBefore).toMatchObject({ items: 40, dataName: 'hellaswag-val-first300.jsonl', acc: dense40.filter((x) => x.predicted === x.label).length / 40 });
    expect(run.accuracyBefore!.accNorm).toBe(dense40.filter((x) => x.predictedNorm === x.label).length / 40);
    expect(run.accuracyAfter).toMatchObject({ items: 40, acc: pruned.acc, accNorm: pruned.accNorm });
  }, 300_000);

  it('refuses bad data and requests, naming the file and line', async () => {
    await expect(lab.evaluateAccuracy({ data: { kind: 'file', name: 'mine.jsonl', text: '{"query":"a","endings":["b","c"],"label":5}\n' } })).rejects.toThrow(/mine.jsonl: line 1: "label" must be an index/);
    await expect(lab.evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 0 })).rejects.toThrow(/maxItems must be a positive integer/);
    await expect(lab.evaluateAccuracy({ data: { kind: 'bundled', id: 'hellaswag' }, which: 'finetuned' })).rejects.toThrow(/no finetuned model/);
    const ok = await lab.evaluateAccuracy({ data: { kind: 'file', name: 'mine.jsonl', text: '{"query":"Once upon a time","endings":["there was a girl.","xq zv"],"label":0}' } });
    expect(ok.items).toBe(1);
  }, 120_000);
});
