// Any stored run exports again later: the lab keeps each run's plan (masks packed to bits, updates as
// float32) and re-applies it to the loaded weights. A second Lab on the same plan storage (as the page
// after a reload) gives the same model.safetensors bytes as exporting right after the run, for masks
// (Wanda), OBS updates (SparseGPT) and removed blocks; another model's weights are refused by name.

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import type { ExportedFile, PruneRequest } from '../../src/lab/lab-api';
import { memoryPlanStorage } from '../../src/lab/plan-storage';
import { compactPlan, compactPlanBytes, expandPlan, packMask, unpackMask } from '../../src/pruning/plan-compact';
import { emptyPlan } from '../../src/pruning/plan';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const calibration = { text: { kind: 'file', name: 'calib.txt', text: text.slice(0, 60_000) }, windows: 4, seqLen: 64 } as const;

async function weightsOf(files: ExportedFile[]): Promise<Uint8Array> {
  const file = files.find((f) => f.path === 'model.safetensors');
  expect(file, 'model.safetensors').toBeDefined();
  return new Uint8Array(await file!.blob.arrayBuffer());
}

describe('export of a stored run', () => {
  const plans = memoryPlanStorage();
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text, planStorage: plans });
  const reloaded = new Lab({ preferWebGpu: false, loadText: async () => text, planStorage: plans });
  afterAll(async () => {
    await lab.dispose();
    await reloaded.dispose();
  });

  const runs: [string, PruneRequest][] = [
    ['Wanda 50% (masks)', { methodId: 'wanda', params: { sparsity: 0.5 }, calibration }],
    ['SparseGPT 50% (updated weights)', { methodId: 'sparsegpt', params: { sparsity: 0.5 }, calibration }],
    ['drop block 2 (removed block)', { methodId: 'drop-blocks', params: { blocks: '2' }, calibration }],
  ];

  it.each(runs)('%s: the same safetensors bytes after a "reload" as right after the run', async (_name, request) => {
    await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    const result = await lab.prune(request);
    expect(result.storedPlan?.planId).toMatch(/^plan-/);
    expect(result.storedPlan!.reason).toBeNull();
    expect(result.storedPlan!.bytes).toBeGreaterThanOrEqual(0);
    const right = await weightsOf(await lab.exportModel({ which: 'pruned', format: 'safetensors' }));
    // The "reloaded" lab loads the same weights from another layout (same weights hash) and exports the stored run.
    await reloaded.loadModel(await stories260KLayouts['optimum ONNX folder']());
    const files = await reloaded.exportModel({ which: 'stored', planId: result.storedPlan!.planId!, format: 'safetensors' });
    const later = await weightsOf(files);
    expect(later.length).toBe(right.length);
    expect(Buffer.from(later).equals(Buffer.from(right))).toBe(true);
    const card = await files.find((f) => f.path === 'README.md')!.blob.text();
    expect(card).toContain(request.methodId);
  });

  it('refuses a stored run of other weights, naming both models; a deleted plan says so', async () => {
    await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    const { storedPlan } = await lab.prune(runs[0][1]);
    const planId = storedPlan!.planId!;
    const stored = (await plans.get(planId))!;
    await plans.put({ ...stored, id: 'plan-other', weightsHash: '0123456789abcdef', modelName: 'SmolLM2-135M' });
    await expect(lab.exportModel({ which: 'stored', planId: 'plan-other', format: 'safetensors' })).rejects.toMatchObject({
      code: 'bad-argument',
      message: expect.stringMatching(/made on SmolLM2-135M .*Load SmolLM2-135M to export it/),
    });
    await lab.deletePlan(planId);
    await expect(lab.exportModel({ which: 'stored', planId, format: 'safetensors' })).rejects.toMatchObject({ message: /no longer stored/ });
  });

  it('packs masks to one bit per weight and back exactly (odd lengths too)', () => {
    const mask = Uint8Array.from({ length: 1003 }, (_, i) => (i * 7919) % 3 === 0 ? 0 : 1);
    const packed = packMask(mask);
    expect(packed.bits.length).toBe(126);
    expect(Array.from(unpackMask(packed))).toEqual(Array.from(mask));
    const plan = { ...emptyPlan('wanda', { sparsity: 0.5 }), masks: { w: mask }, removeBlocks: [3, 1] };
    // The size is known before packing: the packed bits of every mask (and the updates' bytes).
    expect(compactPlanBytes(plan)).toBe(packed.bits.byteLength);
    const again = expandPlan(compactPlan(plan));
    expect(Array.from(again.masks.w)).toEqual(Array.from(mask));
    expect(again.removeBlocks).toEqual([3, 1]);
  });
});
