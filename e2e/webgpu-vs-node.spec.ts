// The same prune in Chromium (the lab worker on WebGPU; SwiftShader here) and in this Node process (the
// engine on onnxruntime-web's WASM EP, `new Lab({preferWebGpu:false})`), with the same settings: calibration
// 4 × 64 tokens of TinyStories' first three quarters ('first', seed 0), held-out evaluation 2 × 128 tokens of
// its last quarter (the form's in-domain default).
// Wanda 50%: the pruned model downloaded from the page (pruned-model.zip → model.safetensors) has exactly
// the zeros (and values) of the model Node prunes and exports. SLEB 1 block: the same block removed, each
// candidate's calibration perplexity and the perplexity before → after within 1e-3 relative.

import type { Page } from '@playwright/test';
import type { Lab } from '../src/lab/lab';
import type { PruneRequest, PruneResult } from '../src/lab/lab-api';
import { expect, fillQuickPrune, nodeLab, readDownload, safetensorsF32, test, unzip, waitForPruneDone } from './helpers';

const settings = {
  calibration: { windows: 4, seqLen: 64 },
  evaluation: { windows: 2, seqLen: 128 },
};

/** What the page's form sends for these settings (sampling 'first' and seed 0 are the form's defaults). */
function nodeRequest(methodId: string, params: PruneRequest['params']): PruneRequest {
  return {
    methodId,
    params,
    calibration: { text: { kind: 'bundled', id: 'tinystories' }, part: 'head', windows: settings.calibration.windows, seqLen: settings.calibration.seqLen, sampling: 'first', seed: 0 },
    evaluation: { text: { kind: 'bundled', id: 'tinystories' }, part: 'tail', seqLen: settings.evaluation.seqLen, maxWindows: settings.evaluation.windows },
  };
}

async function browserPrune(page: Page, methodId: string, params: Record<string, string>): Promise<void> {
  await expect(page.getByTestId('backend-name')).toHaveText(/WebGPU/); // else this compares WASM with WASM
  await fillQuickPrune(page, {
    methodId,
    params,
    calibration: { windows: String(settings.calibration.windows), seqLen: String(settings.calibration.seqLen) },
    evaluation: { windows: String(settings.evaluation.windows), seqLen: String(settings.evaluation.seqLen) },
  });
  await expect(page.getByTestId('prune-sampling')).toHaveValue('first');
  await expect(page.getByTestId('prune-seed')).toHaveValue('0');
  await expect(page.getByTestId('prune-calibrationText')).toHaveValue('tinystories');
  await expect(page.getByTestId('prune-evalText')).toHaveValue('same');
  await page.getByTestId('prune-run').click();
  await waitForPruneDone(page);
  await expect(page.getByTestId('prune-result')).toContainText('2 × 128 tokens');
}

const numberOf = async (page: Page, testId: string) => Number(await page.getByTestId(testId).getAttribute('data-value'));

/** The pruned model as the page saves it without a folder picker: one zip; its model.safetensors. */
async function downloadedWeights(page: Page): Promise<Buffer> {
  await page.evaluate(() => Object.assign(window, { showDirectoryPicker: undefined }));
  const zip = await readDownload(page, () => page.getByTestId('prune-download').click());
  expect(zip.name).toBe('pruned-model.zip');
  const weights = (await unzip(zip.bytes)).get('model.safetensors');
  expect(weights, 'model.safetensors in the zip').toBeDefined();
  return weights!;
}

async function nodeWeights(lab: Lab): Promise<Buffer> {
  const files = await lab.exportModel({ which: 'pruned', format: 'safetensors' });
  const weights = files.find((f) => f.path === 'model.safetensors');
  expect(weights, 'model.safetensors in the Node export').toBeDefined();
  return Buffer.from(await weights!.blob.arrayBuffer());
}

interface WeightsComparison {
  tensors: number;
  weights: number;
  zeros: number;
  /** Per tensor whose zero pattern differs: how many entries are zero on one side only. */
  zeroMismatches: Record<string, number>;
  /** Entries, zero on neither side or both, whose values differ. */
  valueMismatches: number;
}

async function compareWeights(browserFile: Buffer, nodeFile: Buffer): Promise<WeightsComparison> {
  const ours = await safetensorsF32(browserFile);
  const theirs = await safetensorsF32(nodeFile);
  expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
  expect(ours.size).toBeGreaterThan(0);
  const result: WeightsComparison = { tensors: ours.size, weights: 0, zeros: 0, zeroMismatches: {}, valueMismatches: 0 };
  for (const [name, tensor] of ours) {
    const other = theirs.get(name)!;
    expect(tensor.shape, name).toEqual(other.shape);
    let mismatches = 0;
    for (let i = 0; i < tensor.data.length; i++) {
      const a = tensor.data[i];
      const b = other.data[i];
      if ((a === 0) !== (b === 0)) mismatches++;
      else if (a !== b) result.valueMismatches++;
      if (a === 0) result.zeros++;
    }
    result.weights += tensor.data.length;
    if (mismatches > 0) result.zeroMismatches[name] = mismatches;
  }
  return result;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('Wanda 50%: the page on WebGPU and Node on WASM zero the same weights; perplexity within 1e-3', async ({ page, lab: _demo }) => {
  await browserPrune(page, 'wanda', { sparsity: '0.5' });
  await expect(page.getByTestId('param-pattern')).toHaveValue('unstructured');
  const browser = {
    overall: await numberOf(page, 'prune-overall-sparsity'),
    before: await numberOf(page, 'prune-ppl-before'),
    after: await numberOf(page, 'prune-ppl-after'),
    weights: await downloadedWeights(page),
  };

  const lab = await nodeLab();
  const node: PruneResult = await lab.prune(nodeRequest('wanda', { sparsity: 0.5, pattern: 'unstructured' }));
  const comparison = await compareWeights(browser.weights, await nodeWeights(lab));
  console.log(`wanda webgpu vs node: ${JSON.stringify({ ...comparison, pplBrowser: [browser.before, browser.after], pplNode: [node.pplBefore?.ppl, node.pplAfter?.ppl] })}`);

  // The masks: every weight is zero in both models or in neither (a flipped near-tie would show here, per tensor).
  expect(comparison.zeroMismatches, 'weights zero on one side only, per tensor').toEqual({});
  // Wanda only zeros: the kept weights are the dense ones on both sides.
  expect(comparison.valueMismatches).toBe(0);
  // Half of the block linears' weights are zero, and nothing else: 5 blocks × (q, o 64×64; k, v 32×64;
  // gate, up, down 172×64) = 226,560 weights.
  expect(comparison.zeros).toBe(226_560 / 2);
  expect(browser.overall).toBe(node.overallSparsity);
  expect(node.overallSparsity).toBeCloseTo(0.5, 3);
  expect(relative(browser.before, node.pplBefore!.ppl)).toBeLessThan(1e-3);
  expect(relative(browser.after, node.pplAfter!.ppl)).toBeLessThan(1e-3);
  expect(browser.after).toBeGreaterThan(browser.before); // pruning cost something: not the dense model twice
});

test('SLEB 1 block: the page on WebGPU and Node on WASM remove the same block; candidates and perplexity within 1e-3', async ({ page, lab: _demo }) => {
  await browserPrune(page, 'sleb', { blocks: '1' });
  const step = page.getByTestId('sleb-trace-step');
  await expect(step).toHaveCount(1);
  const candidates = step.getByTestId('sleb-candidate');
  await expect(candidates).toHaveCount(3); // blocks 1, 2, 3: the first and last are protected
  const browser = {
    removed: (await page.getByTestId('prune-removed').textContent()) ?? '',
    chosen: await step.getAttribute('data-chosen'),
    candidates: await candidates.evaluateAll((els) => els.map((e) => ({ block: Number(e.getAttribute('data-block')), ppl: Number(e.getAttribute('data-value')) }))),
    before: await numberOf(page, 'prune-ppl-before'),
    after: await numberOf(page, 'prune-ppl-after'),
    weights: await downloadedWeights(page),
  };

  const lab = await nodeLab();
  const node = await lab.prune(nodeRequest('sleb', { blocks: 1 }));
  const nodeStep = node.trace.find((entry) => entry.kind === 'sleb-step');
  if (nodeStep?.kind !== 'sleb-step') throw new Error('no SLEB step in the Node trace');
  console.log(`sleb webgpu vs node: ${JSON.stringify({ browser: { ...browser, weights: browser.weights.length }, node: { removed: node.removedBlocks, candidates: nodeStep.candidates, before: node.pplBefore?.ppl, after: node.pplAfter?.ppl } })}`);

  expect(node.removedBlocks).toHaveLength(1);
  expect(browser.removed).toBe(node.removedBlocks.join(', '));
  expect(browser.chosen).toBe(String(nodeStep.chosen));
  expect(browser.candidates.map((c) => c.block)).toEqual(nodeStep.candidates.map((c) => c.block));
  for (const [i, candidate] of browser.candidates.entries()) {
    expect(relative(candidate.ppl, nodeStep.candidates[i].ppl), `candidate block ${candidate.block}`).toBeLessThan(1e-3);
  }
  expect(relative(browser.before, node.pplBefore!.ppl)).toBeLessThan(1e-3);
  expect(relative(browser.after, node.pplAfter!.ppl)).toBeLessThan(1e-3);
  // The exported 4-block models are the same weights.
  const comparison = await compareWeights(browser.weights, await nodeWeights(lab));
  expect(comparison.zeroMismatches).toEqual({});
  expect(comparison.valueMismatches).toBe(0);
});
