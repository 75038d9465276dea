// Export → drop the folder into the lab again → the same perplexity, for each export format, on a
// pruned stories260K (one block removed). The 'both' folder is also checked against its own ONNX.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import type { ExportRequest } from '../../src/lab/lab-api';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const heldOut = { text: { kind: 'file', name: 'heldout.txt', text: text.slice(-40_000) }, seqLen: 128, maxWindows: 6 } as const;

describe('export round trip through the lab', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  let prunedPpl = 0;
  beforeAll(async () => {
    await lab.loadModel(await stories260KLayouts['optimum ONNX folder']());
    const r = await lab.prune({ methodId: 'drop-blocks', params: { blocks: '2' }, calibration: { text: heldOut.text }, evaluation: heldOut });
    prunedPpl = r.pplAfter!.ppl;
  });
  afterAll(() => lab.dispose());

  const formats: [ExportRequest['format'], string[]][] = [
    ['safetensors', ['config.json', 'model.safetensors', 'tokenizer.json']],
    ['transformers.js', ['config.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx', 'tokenizer.json']],
    ['both', ['config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json']],
  ];

  it.each(formats)('%s: the exported folder loads again with 4 layers and the same perplexity', async (format, expected) => {
    const files = await lab.exportModel({ which: 'pruned', format, onnxDtypes: format === 'both' ? ['fp32'] : undefined });
    const paths = files.map((f) => f.path);
    for (const p of expected) expect(paths).toContain(p);
    expect(new Set(paths).size).toBe(paths.length);
    // Drop only the fp32 graph (as a user picks one variant), plus everything that is not ONNX.
    const dropped = files.filter((f) => !f.path.endsWith('.onnx') || f.path === 'onnx/model.onnx');
    const again = new Lab({ preferWebGpu: false, loadText: async () => text });
    const summary = await again.loadModel(dropped);
    expect(summary.numLayers).toBe(4);
    expect(summary.layout).toBe(format === 'transformers.js' ? 'onnx-optimum' : 'safetensors');
    if (format !== 'safetensors') expect(summary.importCheck!.maxAbsDiff).toBeLessThan(1e-4);
    const ppl = (await again.evaluatePerplexity(heldOut)).ppl;
    expect(Math.abs(ppl - prunedPpl) / prunedPpl).toBeLessThan(1e-5);
    await again.dispose();
  });

  it('refuses an unknown format and an export before any pruning', async () => {
    await expect(lab.exportModel({ which: 'pruned', format: 'zip' as never })).rejects.toMatchObject({ code: 'bad-argument' });
    const fresh = new Lab({ preferWebGpu: false, loadText: async () => text });
    await fresh.loadModel(await stories260KLayouts['safetensors checkpoint']());
    await expect(fresh.exportModel({ which: 'pruned', format: 'safetensors' })).rejects.toThrow(/no pruned model yet/);
    await fresh.dispose();
  });
});
