// Test fixtures for the pruning tests: the real stories260K spec, calibration windows from the
// TinyStories sample, held-out evaluation windows (a later slice of the same file), and a ppl helper.
import { readFileSync } from 'node:fs';
import type { ModelSpec } from '../../../src/model/model-spec';
import { calibrationWindows } from '../../../src/pruning/calibration-data';
import type { PruningContext } from '../../../src/pruning/method';
import { createCalibrationRunner } from '../../../src/runtime/calibration-runner';
import { createEngine } from '../../../src/runtime/engine';
import { loadStories260K, loadStoriesTokenizer, TINYSTORIES_TEXT } from '../../oracles/stories260k';

export const storiesSpec: ModelSpec = loadStories260K();
const ids = loadStoriesTokenizer().encode(readFileSync(TINYSTORIES_TEXT, 'utf8')).ids;
/** Calibration from the first 40% of the text, evaluation from the last 20%: never the same tokens. */
export const calibrationTokens = ids.slice(0, Math.floor(ids.length * 0.4));
const heldOut = Int32Array.from(ids.slice(Math.floor(ids.length * 0.8)));

export function stories(count = 16, seqLen = 128, seed = 0): Int32Array[] {
  return calibrationWindows(calibrationTokens, { count, seqLen, sampling: 'random', seed });
}

export function context(windows: Int32Array[], spec: ModelSpec = storiesSpec): PruningContext {
  return { spec, runner: createCalibrationRunner({ backend: 'wasm' }), windows };
}

/** Perplexity of `spec` on 24 held-out windows of 256 tokens. */
export async function heldOutPpl(spec: ModelSpec): Promise<number> {
  const engine = await createEngine(spec, { backend: 'wasm' });
  const windows = Array.from({ length: 24 }, (_, w) => heldOut.subarray(w * 256, (w + 1) * 256));
  const nll = await engine.scoreWindows(windows);
  await engine.dispose();
  return Math.exp(nll.reduce((a, b) => a + b, 0) / nll.length);
}
