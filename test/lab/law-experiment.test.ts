// The compression-law experiment on the real stories260K (onnxruntime-node cpu): ShortGPT block removal at
// four ratios × two recovery budgets; each point is a physically smaller model measured on the same test
// windows; the law and line-vs-quadratic fits are reported with R²; recovery lowers the loss; a stop keeps
// the points so far; unstructured methods and bad grids are refused.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import type { LawRequest } from '../../src/lab/lab-api';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { repoRoot, stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const story = fs.readFileSync(tinyStoriesPath, 'utf8');
const hellaswag = fs.readFileSync(`${repoRoot}/public/data/hellaswag-val-first300.jsonl`, 'utf8');
const lab = new Lab({ preferWebGpu: false, nativeBackend: 'cpu', loadText: async (id) => (id === 'hellaswag' ? hellaswag : story) });

const request: LawRequest = {
  methodId: 'shortgpt',
  ratios: [0, 0.2, 0.4, 0.6],
  rftTokens: [0, 8192],
  calibration: { text: { kind: 'file', name: 'calib.txt', text: story.slice(0, 40_000) }, windows: 4, seqLen: 64 },
  text: { kind: 'file', name: 'test.txt', text: story.slice(-60_000) },
  seqLen: 128,
  maxWindows: 8,
  recovery: { text: { kind: 'file', name: 'train.txt', text: story.slice(40_000, 240_000) }, batch: 4, seqLen: 64 },
  accuracy: { data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 12 },
};

beforeAll(async () => {
  useNativeOrt();
  await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
});
afterAll(() => lab.dispose());

describe('Lab.lawExperiment', () => {
  it('ShortGPT at 4 ratios × 2 budgets: smaller models, loss rising with r, recovery lowering it, the law fitted with R²', async () => {
    const seen: number[] = [];
    const r = await lab.lawExperiment({ ...request, lossThreshold: 3 }, { onProgress: (p) => p.point && seen.push(p.pointsDone) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.points).toHaveLength(8);
    const at = (ratio: number, recovered: boolean) => r.points.find((p) => p.ratio === ratio && (p.rftTokens > 0) === recovered)!;
    expect(at(0, false).loss).toBe(r.dense.loss);
    expect(at(0, true).rftTokens).toBe(8192); // 32 steps of 4 × 64
    for (const [ratio, blocks] of [[0.2, 1], [0.4, 2], [0.6, 3]] as const) {
      expect(at(ratio, false).removedBlocks).toHaveLength(blocks);
      expect(at(ratio, false).compression).toBeGreaterThan(0);
    }
    expect(at(0.4, false).compression).toBeGreaterThan(at(0.2, false).compression);
    expect(at(0.6, false).loss).toBeGreaterThan(at(0.2, false).loss);
    expect(at(0.6, true).loss).toBeLessThan(at(0.6, false).loss);
    expect(at(0.6, false).accuracy?.items).toBe(12);
    // Both forms fitted; β > 0 (loss grows with compression); R² reported in [−∞, 1].
    const law = r.loss!;
    for (const fit of [law.noIntercept, law.intercept]) {
      expect(fit.n).toBe(8);
      expect(fit.r2).toBeLessThanOrEqual(1);
      expect(fit.coefficients.find((c) => c.name === 'beta')!.value).toBeGreaterThan(0);
    }
    expect(law.linear && law.quadratic).toBeTruthy();
    expect(law.verdict).toMatch(/fit|few points/);
    expect(r.accuracy).not.toBeNull();
    expect(r.critical?.map((c) => c.rftTokens)).toEqual([0, 8192]);
  }, 300_000);

  it('a stop after two points returns them, fitted', async () => {
    const controller = new AbortController();
    const r = await lab.lawExperiment({ ...request, accuracy: undefined, rftTokens: [0] }, { signal: controller.signal, onProgress: (p) => p.pointsDone === 2 && controller.abort() });
    expect(r.stoppedEarly).toBe(true);
    expect(r.points.length).toBe(2);
    expect(r.loss?.noIntercept.n).toBe(2);
  }, 300_000);

  it('refuses unstructured methods and bad grids with the reason', async () => {
    await expect(lab.lawExperiment({ ...request, methodId: 'wanda' })).rejects.toThrow(/wanda is not a structured method/);
    await expect(lab.lawExperiment({ ...request, ratios: [0.2, 1] })).rejects.toThrow(/ratios must be a non-empty list of numbers in \[0, 1\)/);
    await expect(lab.lawExperiment({ ...request, rftTokens: [-5] })).rejects.toThrow(/rftTokens must be whole numbers/);
    await expect(lab.lawExperiment({ ...request, methodId: 'nope' })).rejects.toThrow(/unknown method 'nope'/);
  });
});
