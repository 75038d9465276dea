// transformers.js either on the SAME onnxruntime-web instance and backend (wasm) as ours (it is handed
// our `ort` module through Symbol.for('onnxruntime') before it is imported), or with its own Node
// defaults (onnxruntime-node, device 'cpu'). One mode per process. Timed greedy generation.

import path from 'node:path';
import { ort } from '../src/runtime/ort';
import { ORT_WASM_DIR } from './common';

type Transformers = typeof import('@huggingface/transformers');
let transformers: Promise<Transformers> | null = null;

/** 'same-runtime': our onnxruntime-web, wasm EP; 'defaults': transformers.js as a Node user gets it (onnxruntime-node, cpu). */
export type TheirRuntime = 'same-runtime' | 'defaults';
let importedAs: TheirRuntime | null = null;

/** Imports transformers.js once, wired to our onnxruntime-web and `threads` wasm threads, or left to its defaults. */
export function importTransformers(threads: number, runtime: TheirRuntime = 'same-runtime'): Promise<Transformers> {
  if (importedAs && importedAs !== runtime) throw new Error(`transformers.js was already imported for ${importedAs}; one runtime per process`);
  importedAs = runtime;
  transformers ??= (async () => {
    if (runtime === 'same-runtime') (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    const t = await import('@huggingface/transformers');
    t.env.allowRemoteModels = false;
    if (runtime === 'same-runtime') {
      t.env.backends.onnx.wasm!.wasmPaths = ORT_WASM_DIR;
      t.env.backends.onnx.wasm!.numThreads = threads;
    }
    return t;
  })();
  return transformers;
}

export interface TheirModel {
  generate(promptIds: number[], newTokens: number): Promise<TimedGeneration>;
  dispose(): Promise<void>;
}

export interface TimedGeneration {
  /** generate() call → first new token streamed. */
  prefillMs: number;
  /** First → last new token, per token (newTokens − 1 decode steps). */
  decodeMsPerToken: number;
  newTokenIds: number[];
}

/** Loads `<dir>/onnx/model.onnx` (+ config.json) with AutoModelForCausalLM, fp32, wasm EP (or its Node default, cpu). */
export async function loadTheirModel(dir: string, threads: number, runtime: TheirRuntime = 'same-runtime'): Promise<TheirModel> {
  const t = await importTransformers(threads, runtime);
  t.env.localModelPath = path.dirname(path.resolve(dir)) + '/';
  const model = await t.AutoModelForCausalLM.from_pretrained(
    path.basename(dir),
    runtime === 'same-runtime' ? { dtype: 'fp32', device: 'auto', session_options: { executionProviders: ['wasm'] } } : { dtype: 'fp32', device: 'cpu' },
  );
  return {
    async generate(promptIds, newTokens) {
      const P = promptIds.length;
      const input_ids = new t.Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, P]);
      const attention_mask = new t.Tensor('int64', new BigInt64Array(P).fill(1n), [1, P]);
      // put() is called once with the prompt ([[...P ids]]) before the first forward, then once per
      // new token ([[id]]) right after it is sampled; we keep the time of every call.
      // The prompt put passes generate()'s own array, which it then extends: copy at put() time.
      const puts: { ms: number; value: bigint[] }[] = [];
      const streamer = { put: (value: bigint[][]) => void puts.push({ ms: performance.now(), value: [...value[0]] }), end: () => {} };
      const started = performance.now();
      const out = (await model.generate({
        input_ids,
        attention_mask,
        max_new_tokens: newTokens,
        min_new_tokens: newTokens, // EOS is masked until G tokens exist: exactly G on both sides
        do_sample: false,
        streamer: streamer as never,
      } as never)) as InstanceType<Transformers['Tensor']>;
      if (puts.length !== newTokens + 1 || puts[0].value.length !== P || puts.slice(1).some((p) => p.value.length !== 1))
        throw new Error(`transformers.js streamer: expected 1 prompt put of ${P} ids then ${newTokens} single-token puts, got ${puts.map((p) => p.value.length).join(',')}`);
      const produced = Number(out.dims[1]) - P;
      if (produced !== newTokens) throw new Error(`transformers.js generated ${produced} new tokens, expected ${newTokens}`);
      const first = puts[1].ms;
      const last = puts[newTokens].ms;
      return {
        prefillMs: first - started,
        decodeMsPerToken: newTokens > 1 ? (last - first) / (newTokens - 1) : NaN,
        newTokenIds: puts.slice(1).map((p) => Number(p.value[0])),
      };
    },
    async dispose() {
      await model.dispose();
    },
  };
}
