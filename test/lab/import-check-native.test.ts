// Under the CLI's native backend the import check runs the dropped graph on onnxruntime-node's cpu
// (no 4 GiB wasm heap): from the file on disk (readModelDir's diskPath: onnxruntime opens the graph and
// its external data itself), or from Blobs with the external data written beside it. Real model:
// stories260K exported by the lab with its weights in onnx/model.onnx_data.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/cli/read-model-dir';
import { exportTransformersJsFolder } from '../../src/export/onnx-folder';
import { Lab } from '../../src/lab/lab';
import { loadModelFromFiles } from '../../src/model/load-model';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { stories260KLayouts } from '../helpers/model-files';

let dir = '';

beforeAll(async () => {
  useNativeOrt();
  const loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-extdata-'));
  for (const f of exportTransformersJsFolder(loaded.spec, loaded, { externalDataThresholdBytes: 1000 })) {
    const target = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, new Uint8Array(await f.blob.arrayBuffer()));
  }
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('import check on the native backend', () => {
  it('the exported folder really keeps its weights outside model.onnx', () => {
    expect(fs.statSync(path.join(dir, 'onnx/model.onnx_data')).size).toBeGreaterThan(900_000);
    expect(fs.statSync(path.join(dir, 'onnx/model.onnx')).size).toBeLessThan(200_000);
  });

  const sources = {
    'the files on disk (onnxruntime opens them)': () => readModelDir(dir),
    'Blobs only (external data written to a temporary folder)': async () => (await readModelDir(dir)).map(({ path: p, blob }) => ({ path: p, blob })),
  };
  for (const [name, files] of Object.entries(sources)) {
    it(`passes under 1e-4 from ${name}, and the reference ran on cpu`, async () => {
      const lab = new Lab({ preferWebGpu: false, nativeBackend: 'cpu', loadText: async () => '' });
      try {
        const summary = await lab.loadModel(await files());
        expect(summary.importCheck).toMatchObject({ oursBackend: 'cpu', referenceBackend: 'cpu', referenceFile: 'onnx/model.onnx', passed: true });
        expect(summary.importCheck!.maxAbsDiff).toBeGreaterThan(0);
        expect(summary.importCheck!.maxAbsDiff).toBeLessThan(1e-4);
      } finally {
        await lab.dispose();
      }
    });
  }
});
