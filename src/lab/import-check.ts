// Import is checked, not trusted: run the dropped ONNX file and our rebuilt graph on the same
// probe tokens and report the largest logit difference.

import type { LoadedModel } from '../model/loaded-model';
import type { Engine } from '../runtime/engine';
import { isNativeBackend, type Backend } from '../runtime/ort';
import { runReferenceLogits } from '../runtime/reference-onnx';
import type { TextTokenizer } from '../tokenizer/text-tokenizer';
import { LabError } from '../errors';
import type { ImportCheck } from './lab-api';

const PROBE_TEXT = 'Once upon a time, there was a little girl named Lily. She loved to play outside.';
const PROBE_TOKENS = 24;
/** fp32 imports must agree to 1e-4. 4-bit files run MatMulNBits, which may quantize activations
 * to int8 on some CPUs; measured 1.2e-5 on stories260K q4 here, so 1e-3 leaves room for that. */
const TOLERANCE = { fp32: 1e-4, q4: 1e-3 };

export async function runImportCheck(
  loaded: LoadedModel,
  engine: Engine,
  tokenizer: TextTokenizer,
  backend: Backend,
): Promise<ImportCheck | null> {
  const ref = loaded.referenceOnnx;
  if (!ref) return null;
  const probe = probeTokens(tokenizer, loaded.spec.config.vocabSize);
  const ours = await engine.logits(probe);
  // The reference runs on WASM (native cpu under the CLI's native backends: exact too, and without the
  // 4 GiB wasm heap, so a 0.5B-1B ONNX folder can be checked): onnxruntime's WebGPU EP is less exact on
  // some dropped graphs (5e-3 on the Optimum stories260K export under SwiftShader; ours agrees to 1e-5).
  const referenceBackend = isNativeBackend(backend) ? 'cpu' : 'wasm';
  const theirs = await runReferenceLogits(ref, probe, referenceBackend);
  let maxAbsDiff = 0;
  for (let i = 0; i < ours.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i] - theirs[i]));
  if (ours.length !== theirs.length) maxAbsDiff = Number.POSITIVE_INFINITY;
  const tolerance = loaded.source.weightsDtype === 'q4' ? TOLERANCE.q4 : TOLERANCE.fp32;
  return {
    maxAbsDiff,
    probeTokens: probe.length,
    referenceFile: ref.file.path,
    oursBackend: backend,
    referenceBackend,
    passed: maxAbsDiff < tolerance,
    tolerance,
  };
}

export function probeTokens(tokenizer: TextTokenizer, vocabSize: number): number[] {
  const ids = tokenizer.encode(PROBE_TEXT).slice(0, PROBE_TOKENS);
  // Pad with a deterministic spread of ids so short tokenizations still probe many rows.
  for (let i = ids.length; i < PROBE_TOKENS; i++) ids.push((i * 7919) % vocabSize);
  return ids;
}

/**
 * A failed import check refuses the load: the weights, config.json and the dropped ONNX graph do not
 * describe one model (ONNX and safetensors from different checkpoints, a config from another model), and
 * every number measured on it would be silently wrong. LoadOptions.allowMismatch (CLI --allow-mismatch) loads it anyway.
 */
export function importMismatchError(check: ImportCheck, weightsFile: string): LabError {
  const diff = Number.isFinite(check.maxAbsDiff) ? check.maxAbsDiff.toExponential(2) : 'a different output shape';
  const against = weightsFile === check.referenceFile ? `our graph built from ${weightsFile}` : `our graph built from ${weightsFile} and config.json`;
  return new LabError(
    'import-mismatch',
    `${check.referenceFile}: the import check failed: ${against} and ${check.referenceFile} give different logits (max |Δ| ${diff}, allowed ${check.tolerance.toExponential(0)}); ` +
      'the files are not one model (weights, config.json or ONNX from different checkpoints). Load anyway with --allow-mismatch (CLI) or "Load anyway"; results are then flagged.',
    { path: check.referenceFile, weightsFile, maxAbsDiff: Number.isFinite(check.maxAbsDiff) ? check.maxAbsDiff : null, tolerance: check.tolerance },
  );
}
