// Runs the DROPPED ONNX file (Optimum or genai layout) on a probe sequence for the import check.
// Feeds whatever the graph declares (read from session.inputMetadata). Imports onnxruntime via ./ort.

import { LabError } from '../errors';
import type { ReferenceOnnx } from '../model/loaded-model';
import { cleanOrtMessage, createSession, int64Tensor, isNativeBackend, ort, readFloat32, type Backend } from './ort';

/** Path of `path` relative to the folder of `from` ('onnx/model.onnx_data' from 'onnx/model.onnx' → 'model.onnx_data'). */
function relativeTo(from: string, path: string): string {
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  return dir && path.startsWith(dir) ? path.slice(dir.length) : path;
}

interface InputMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: (number | string)[];
}

/** Logits [T, vocab] of the dropped graph for `ids` (batch 1, empty past). */
export async function runReferenceLogits(ref: ReferenceOnnx, ids: number[], backend: Backend): Promise<Float32Array> {
  const file = ref.file.path;
  // Native runtime with the file on disk: onnxruntime opens it and its external data itself (no copy in JS).
  const onDisk = isNativeBackend(backend) && ref.file.diskPath;
  const model = onDisk ? new Uint8Array(0) : new Uint8Array(await ref.file.blob.arrayBuffer());
  const externalData = onDisk
    ? undefined
    : await Promise.all(ref.externalData.map(async (f) => ({ path: relativeTo(file, f.path), data: new Uint8Array(await f.blob.arrayBuffer()) })));
  const session = await createSession(model, { backend, externalData, modelPath: onDisk || undefined, sourceFile: file });
  try {
    const T = ids.length;
    const feeds: Record<string, ort.Tensor> = {};
    const metadata = (session as unknown as { inputMetadata?: InputMeta[] }).inputMetadata ?? [];
    for (const name of session.inputNames) {
      const meta = metadata.find((m) => m.name === name);
      feeds[name] = feedFor(file, name, meta, ids);
    }
    const out = await session.run(feeds);
    const logits = out.logits as ort.Tensor | undefined;
    if (!logits) throw new LabError('unsupported-format', `${file}: the graph has no output named logits (outputs: ${session.outputNames.join(', ')})`);
    const data = await readFloat32(logits);
    if (logits.dims.length !== 3 || logits.dims[1] !== T)
      throw new LabError('unsupported-format', `${file}: logits have shape [${logits.dims.join(', ')}], expected [1, ${T}, vocab]`);
    return data;
  } catch (error) {
    if (error instanceof LabError) throw error;
    throw new LabError('runtime', `${file}: running the dropped graph failed: ${cleanOrtMessage(error instanceof Error ? error.message : String(error))}`, { path: file });
  } finally {
    await session.release();
  }
}

function feedFor(file: string, name: string, meta: InputMeta | undefined, ids: number[]): ort.Tensor {
  const T = ids.length;
  const type = meta?.type ?? 'int64';
  const ints = (values: number[]) => (type === 'int32' ? new ort.Tensor('int32', Int32Array.from(values), [1, values.length]) : int64Tensor(values, [1, values.length]));
  if (name === 'input_ids') return ints(ids);
  if (name === 'attention_mask') return ints(new Array<number>(T).fill(1));
  if (name === 'position_ids') return ints(Array.from({ length: T }, (_, t) => t));
  if (/^past_key_values\.\d+\.(key|value)$/.test(name) || /^past\.\d+\.(key|value)$/.test(name)) {
    const shape = meta?.shape;
    if (!shape || shape.length !== 4 || typeof shape[1] !== 'number' || typeof shape[3] !== 'number')
      throw new LabError('unsupported-format', `${file}: input ${name} has no fixed [batch, kv_heads, past, head_dim] shape`);
    const dims = [1, shape[1], 0, shape[3]];
    if (type === 'float16') return new ort.Tensor('float16', new Uint16Array(0), dims);
    return new ort.Tensor('float32', new Float32Array(0), dims);
  }
  throw new LabError('unsupported-format', `${file}: unknown graph input ${name}; the import check cannot feed it`);
}
