// The adapter check on the model itself: the loaded model cut to its first block (embedding, block 0,
// final norm, head) runs on the WebGPU adapter and on WASM, on the import check's probe tokens; the
// logits must agree (1e-3 of their scale in fp32; 3e-2 in fp16, whose products round). A wrong adapter
// (the numeric self-test passes small kernels; the model's own shapes can still go wrong) makes the lab
// run this model on WASM instead. Skipped for embeddings too large for a quick WASM reference.

import type { LoadedModel } from '../model/loaded-model';
import { parameterCount } from '../model/model-spec';
import { removeBlocks } from '../pruning/apply-plan';
import { compareOutputs, perturb } from '../runtime/adapter-self-test';
import { createEngine } from '../runtime/engine';
import type { BackendInfo } from '../runtime/ort';
import type { TextTokenizer } from '../tokenizer/text-tokenizer';
import { probeTokens } from './import-check';

export interface FirstBlockCheck {
  /** null when it ran; else why it was skipped. */
  skipped: string | null;
  maxAbsDiff: number | null;
  tolerance: number | null;
  passed: boolean;
  precision: BackendInfo['precision'];
}

/** A one-block model of at most this many fp32 bytes is checked (a 0.5B model's embedding is ~0.5 GB). */
export const FIRST_BLOCK_MAX_BYTES = 320 * 1024 ** 2;

export async function runFirstBlockCheck(loaded: LoadedModel, tokenizer: TextTokenizer, backend: BackendInfo, fault?: number): Promise<FirstBlockCheck | null> {
  if (backend.backend !== 'webgpu') return null;
  const spec = loaded.spec;
  const oneBlock = removeBlocks(spec, spec.layers.map((_, i) => i).slice(1));
  const bytes = parameterCount(oneBlock) * 4;
  if (bytes > FIRST_BLOCK_MAX_BYTES)
    return { skipped: `the first block with its embedding is ${(bytes / 1024 ** 2).toFixed(0)} MB in fp32, past the ${FIRST_BLOCK_MAX_BYTES / 1024 ** 2} MB checked at load`, maxAbsDiff: null, tolerance: null, passed: true, precision: backend.precision };
  const probe = probeTokens(tokenizer, spec.config.vocabSize);
  const logitsOn = async (where: 'webgpu' | 'wasm') => {
    const engine = await createEngine(oneBlock, { backend: where, precision: where === 'webgpu' ? backend.precision : 'fp32' });
    try {
      return await engine.logits(probe);
    } finally {
      await engine.dispose();
    }
  };
  const reference = await logitsOn('wasm');
  const gpu = await logitsOn('webgpu');
  const check = compareOutputs('first block', fault ? perturb(gpu, fault) : gpu, reference, backend.precision === 'fp16' ? 3e-2 : 1e-3);
  return { skipped: null, maxAbsDiff: check.maxAbsDiff, tolerance: check.tolerance, passed: check.passed, precision: backend.precision };
}
