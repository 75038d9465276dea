// Test helpers for the transformers.js ONNX export: write an exported folder to a temp dir, load it
// with transformers.js on OUR onnxruntime-web instance (wasm, 1 thread), greedy-generate and get logits.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OnnxFolderFile } from '../../src/export/onnx-folder';
import type { ModelFileRef } from '../../src/model/loaded-model';
import type { ModelSpec } from '../../src/model/model-spec';
import { ort } from '../../src/runtime/ort';

type Transformers = typeof import('@huggingface/transformers');
let transformers: Promise<Transformers> | null = null;

export function importTransformers(): Promise<Transformers> {
  transformers ??= (async () => {
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    const t = await import('@huggingface/transformers');
    t.env.allowRemoteModels = false;
    t.env.backends.onnx.wasm!.wasmPaths = path.resolve('node_modules/onnxruntime-web/dist') + '/';
    t.env.backends.onnx.wasm!.numThreads = 1;
    return t;
  })();
  return transformers;
}

/** Writes the files under a fresh temp dir `<tmp>/<name>/`; returns that folder. */
export async function writeFolder(files: OnnxFolderFile[], name: string): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-onnx-'));
  const dir = path.join(root, name);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), new Uint8Array(await f.blob.arrayBuffer()));
  }
  return dir;
}

export function asFileRefs(files: OnnxFolderFile[], keep: (p: string) => boolean = () => true): ModelFileRef[] {
  return files.filter((f) => keep(f.path)).map((f) => ({ path: f.path, blob: f.blob }));
}

export interface TheirModel {
  /** Greedy new token ids (stops at the generation config's eos, or after maxNewTokens). */
  generate(promptIds: number[], maxNewTokens: number): Promise<number[]>;
  /** Logits [T, vocab] for one sequence, no cache. */
  logits(ids: number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * `externalData`: in Node, transformers.js hands onnxruntime-web external data as file PATHS, which
 * its wasm build cannot open ("Module.MountedFiles is not available"); browsers fetch the bytes. Tests
 * therefore pass the bytes themselves (use_external_data_format off, externalData in session_options).
 */
export async function loadWithTransformersJs(dir: string, dtype: 'fp32' | 'fp16' | 'q4', externalData?: { path: string; data: Uint8Array }[]): Promise<TheirModel> {
  const t = await importTransformers();
  t.env.localModelPath = path.dirname(dir) + '/';
  const model = await t.AutoModelForCausalLM.from_pretrained(path.basename(dir), {
    dtype,
    device: 'auto',
    session_options: { executionProviders: ['wasm'], ...(externalData ? { externalData } : {}) },
    ...(externalData ? { use_external_data_format: false } : {}),
  } as never);
  const tensors = (ids: number[]) => ({
    input_ids: new t.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new t.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  return {
    async generate(promptIds, maxNewTokens) {
      const out = (await model.generate({ ...tensors(promptIds), max_new_tokens: maxNewTokens, do_sample: false } as never)) as InstanceType<Transformers['Tensor']>;
      return Array.from(out.data as BigInt64Array, Number).slice(promptIds.length);
    },
    async logits(ids) {
      const out = (await (model as unknown as (x: unknown) => Promise<{ logits: InstanceType<Transformers['Tensor']> }>)(tensors(ids))).logits;
      const data = out.type === 'float32' ? (out.data as Float32Array) : (out.to('float32').data as Float32Array);
      return Float32Array.from(data);
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}

/** Zeroes the 50% smallest |w| of every row of every block linear (unstructured sparsity, shapes kept). */
export function sparsify50(spec: ModelSpec): ModelSpec {
  const weights = new Map(spec.weights);
  for (const [name, w] of spec.weights) {
    if (!/^model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight$/.test(name)) continue;
    const [rows, cols] = w.shape;
    const data = Float32Array.from(w.data);
    for (let r = 0; r < rows; r++) {
      const row = data.subarray(r * cols, (r + 1) * cols);
      const order = Array.from(row.keys()).sort((a, b) => Math.abs(row[a]) - Math.abs(row[b]));
      for (const i of order.slice(0, Math.floor(cols / 2))) row[i] = 0;
    }
    weights.set(name, { shape: w.shape, data });
  }
  return { ...spec, weights };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
