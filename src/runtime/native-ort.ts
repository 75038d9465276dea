// Node only: plugs onnxruntime-node (the native runtime: all CPU cores, CUDA where its libraries are
// installed) into ./ort.ts as the 'cpu'/'cuda' backends. Imported by the CLI and Node tests, never by
// the browser bundle. onnxruntime-node is CommonJS with its own onnxruntime-common instance, so its
// sessions are created here; tensors made by ./ort.ts helpers are accepted as feeds.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { encodeOnnxModel, tensorByteLength, tensorBytes, type OnnxModel, type OnnxTensor } from '../graph/onnx-writer';
import { registerNativeOrt, type NativeOrt, type ort } from './ort';

interface OrtNodeModule {
  InferenceSession: typeof ort.InferenceSession;
  listSupportedBackends(): { name: string; bundled: boolean }[];
  env: { logLevel?: string };
}

/** Initializers at least this big go to the external data file; smaller ones stay in the graph. */
const EXTERNAL_MIN_BYTES = 1024;
/** External data offsets are page-aligned (onnxruntime may map aligned ranges). */
const ALIGN_BYTES = 4096;

let registered = false;

/** Loads onnxruntime-node once and registers it; returns false when it cannot be loaded here. */
export function useNativeOrt(): boolean {
  if (registered) return true;
  let mod: OrtNodeModule;
  try {
    mod = createRequire(import.meta.url)('onnxruntime-node') as OrtNodeModule;
  } catch {
    return false;
  }
  mod.env.logLevel = 'error';
  const api: NativeOrt = {
    InferenceSession: mod.InferenceSession,
    providers: mod.listSupportedBackends().map((b) => b.name),
    cpuThreads: os.availableParallelism?.() ?? os.cpus().length,
    createSessionFromModel: (model, options) => createFromModel(mod, model, options),
    createSessionWithExternalData: (model, externalData, options) =>
      inTempDir(async (dir) => {
        for (const f of externalData) {
          const target = path.join(dir, ...f.path.split('/'));
          if (!target.startsWith(dir + path.sep)) throw new Error(`external data path '${f.path}' leaves the model's folder`);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, f.data);
        }
        fs.writeFileSync(path.join(dir, 'model.onnx'), model);
        return mod.InferenceSession.create(path.join(dir, 'model.onnx'), options);
      }),
  };
  registerNativeOrt(api);
  registered = true;
  return true;
}

function createFromModel(mod: OrtNodeModule, model: OnnxModel, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return inTempDir((dir) => mod.InferenceSession.create(writeWithExternalData(model, dir), options));
}

/** Runs `make` with a fresh temporary folder, removed afterwards (onnxruntime has read the files by then). */
async function inTempDir<T>(make: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-session-'));
  try {
    return await make(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `model.onnx` + `weights.bin` into `dir`, materialising one (lazy) initializer at a time. */
export function writeWithExternalData(model: OnnxModel, dir: string): string {
  const location = 'weights.bin';
  const fd = fs.openSync(path.join(dir, location), 'w');
  let offset = 0;
  const initializers: OnnxTensor[] = [];
  try {
    for (const t of model.initializers) {
      const length = tensorByteLength(t);
      if (length < EXTERNAL_MIN_BYTES || t.external) {
        initializers.push(t);
        continue;
      }
      offset = Math.ceil(offset / ALIGN_BYTES) * ALIGN_BYTES;
      const bytes = tensorBytes(t.data); // computed here, written, then dropped
      if (bytes.byteLength !== length) throw new Error(`${t.name}: ${bytes.byteLength} bytes, dims say ${length}`);
      fs.writeSync(fd, bytes, 0, length, offset);
      initializers.push({ name: t.name, dataType: t.dataType, dims: t.dims, data: new Uint8Array(0), external: { location, offset, length } });
      offset += length;
    }
  } finally {
    fs.closeSync(fd);
  }
  const graphPath = path.join(dir, 'model.onnx');
  fs.writeFileSync(graphPath, encodeOnnxModel({ ...model, initializers }));
  return graphPath;
}
