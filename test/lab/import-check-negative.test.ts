// The import check must catch a dropped folder whose files disagree: config.json vs the ONNX graph
// (rope_theta, rms_norm_eps), or safetensors weights vs the dropped ONNX (the weights come from the
// safetensors, the ONNX is the reference). Through `Lab`, like lab-stories260k.test.ts. A failed check refuses the
// load unless allowMismatch is set; then the summary says so.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/cli/read-model-dir';
import { Lab } from '../../src/lab/lab';
import { BAD_IMPORT, BAD_IMPORT_KINDS, importFolderFiles, writeImportFolder, type ImportFolderKind } from '../helpers/bad-import-folders';

const TOLERANCE = 1e-4;
let root: string;
const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-import-check-'));
});
afterAll(async () => {
  await lab.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A failing folder is refused by default ('import-mismatch', the previous model kept), then loaded with allowMismatch and flagged. */
async function load(kind: ImportFolderKind) {
  const files = await readModelDir(writeImportFolder(kind, root));
  if (kind !== 'control') {
    const before = await lab.modelSummary();
    await expect(lab.loadModel(files)).rejects.toMatchObject({
      code: 'import-mismatch',
      message: expect.stringMatching(/^onnx\/model\.onnx: the import check failed: .* give different logits \(max \|Δ\| [\d.e+-]+, allowed 1e-4\); the files are not one model .*--allow-mismatch/),
    });
    expect((await lab.modelSummary())?.weightsHash).toBe(before?.weightsHash);
  }
  const summary = await lab.loadModel(files, { allowMismatch: kind !== 'control' });
  expect(summary.importCheck).not.toBeNull();
  expect(summary.mismatchAllowed ?? false).toBe(kind !== 'control');
  return { summary, check: summary.importCheck! };
}

describe('import check negative cases (stories260K)', () => {
  it('the helper writes the expected files', () => {
    expect(BAD_IMPORT_KINDS).toHaveLength(3);
    expect(importFolderFiles('rope-theta').map((f) => f.path)).toContain('onnx/model.onnx');
    expect(importFolderFiles('rope-theta').map((f) => f.path)).not.toContain('model.safetensors');
    const both = importFolderFiles('safetensors-differs').map((f) => f.path);
    expect(both).toEqual(expect.arrayContaining(['model.safetensors', 'onnx/model.onnx', 'config.json', 'tokenizer.json']));
  });

  it('control: safetensors + ONNX unchanged passes under 1e-4', async () => {
    const { summary, check } = await load('control');
    expect(summary.layout).toBe('safetensors');
    expect(check.referenceFile).toBe('onnx/model.onnx');
    expect(check.tolerance).toBe(TOLERANCE);
    expect(check.maxAbsDiff).toBeLessThan(TOLERANCE);
    expect(check.passed).toBe(true);
  });

  it(`config.json rope_theta ${BAD_IMPORT.ropeTheta} (graph: 10000) fails the check`, async () => {
    const { summary, check } = await load('rope-theta');
    console.log(`rope_theta: max |Δlogit| ${check.maxAbsDiff.toExponential(3)}`);
    expect(summary.layout).toBe('onnx-optimum');
    expect(check.maxAbsDiff).toBeGreaterThan(5 * TOLERANCE);
    expect(check.passed).toBe(false);
  });

  it(`config.json rms_norm_eps ${BAD_IMPORT.rmsNormEps} (graph: 1e-5) fails the check`, async () => {
    const { summary, check } = await load('rms-norm-eps');
    console.log(`rms_norm_eps: max |Δlogit| ${check.maxAbsDiff.toExponential(3)}`);
    expect(summary.layout).toBe('onnx-optimum');
    expect(check.maxAbsDiff).toBeGreaterThan(5 * TOLERANCE);
    expect(check.passed).toBe(false);
  });

  it(`safetensors with ${BAD_IMPORT.tensor} ×${BAD_IMPORT.weightScale} dropped with the original ONNX fails the check`, async () => {
    const { summary, check } = await load('safetensors-differs');
    console.log(`safetensors differs: max |Δlogit| ${check.maxAbsDiff.toExponential(3)}`);
    expect(summary.layout).toBe('safetensors');
    expect(check.referenceFile).toBe('onnx/model.onnx');
    expect(check.maxAbsDiff).toBeGreaterThan(5 * TOLERANCE);
    expect(check.passed).toBe(false);
  });
});
