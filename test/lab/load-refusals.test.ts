// Issue 14's silent wrong answers, now refused at load through `Lab` (the stories260K files, changed in
// memory): NaN/Inf weights ('non-finite', naming the file and tensor), weights for more blocks than
// config.json declares ('corrupt'), a dropped ONNX that onnxruntime itself cannot load (its error names the
// file, without onnxruntime's build paths), and the CLI's --allow-mismatch. The previous model stays loaded.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/cli/read-model-dir';
import { Lab } from '../../src/lab/lab';
import { cleanOrtMessage } from '../../src/runtime/ort';
import { editSafetensorsTensor, writeImportFolder } from '../helpers/bad-import-folders';
import { runCli } from '../helpers/run-cli';
import { refOf, refsFrom, storiesDir } from '../model/helpers';

const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-load-refusals-'));
afterAll(async () => {
  await lab.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const real = (name: string) => new Uint8Array(fs.readFileSync(path.join(storiesDir, name)));
const base = () => refsFrom(storiesDir, ['config.json', 'tokenizer.json']);

describe('loads refused instead of silently wrong', () => {
  it('NaN and Inf weights are non-finite, naming the file and tensor; the previous model stays loaded', async () => {
    const loaded = await lab.loadModel([...base(), refOf('model.safetensors', real('model.safetensors'))]);
    const tensor = 'model.layers.1.mlp.up_proj.weight';
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const files = [...base(), refOf('model.safetensors', editSafetensorsTensor(real('model.safetensors'), tensor, (v) => ((v[7] = bad), (v[9] = bad))))];
      await expect(lab.loadModel(files)).rejects.toMatchObject({
        code: 'non-finite',
        message: `model.safetensors: tensor '${tensor}' holds 2 NaN or infinite values (first at index 7, ${bad}); the weights are damaged and every output would be NaN`,
      });
      expect((await lab.modelSummary())?.weightsHash).toBe(loaded.weightsHash);
    }
  });

  it('weights for more blocks than config.json declares are refused (they were ignored)', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(storiesDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const files = [refOf('config.json', JSON.stringify({ ...config, num_hidden_layers: 3 })), ...refsFrom(storiesDir, ['tokenizer.json', 'model.safetensors'])];
    await expect(lab.loadModel(files)).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(/^model\.safetensors: has weights for 5 blocks \(e\.g\. 'model\.layers\.4\.[\w.]+'\) but config\.json declares num_hidden_layers 3; the config and the weights are from different models$/),
    });
    // The ONNX layout too.
    const onnxFiles = [refOf('config.json', JSON.stringify({ ...config, num_hidden_layers: 4 })), ...refsFrom(storiesDir, ['tokenizer.json', 'onnx/model.onnx'])];
    await expect(lab.loadModel(onnxFiles)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringMatching(/^onnx\/model\.onnx: has weights for 5 blocks .* num_hidden_layers 4;/) });
  });

  it("a dropped ONNX that onnxruntime cannot load: its error names the file, without onnxruntime's build paths", async () => {
    const onnx = real('onnx/model.onnx');
    expect(onnx[0]).toBe(0x08); // ir_version first
    onnx[1] = 60; // an IR version from the future: our reader takes it, onnxruntime refuses it
    const error = await lab.loadModel([...base(), refOf('model.safetensors', real('model.safetensors')), refOf('onnx/model.onnx', onnx)]).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('runtime');
    expect(error?.message).toMatch(/^onnx\/model\.onnx: (native )?onnxruntime could not load it on (wasm|cpu): .*IR version/i);
    expect(error?.message).not.toMatch(/\.cc:\d+/);
    expect(cleanOrtMessage('[ONNXRuntimeError] : 1 : FAIL : Load model failed:/onnxruntime_src/onnxruntime/core/graph/model.cc:180 onnxruntime::Model::Model(onnx::ModelProto&&, const PathString&) Unsupported model IR version: 60')).toBe(
      'Load model failed: Unsupported model IR version: 60',
    );
  });
});

describe('model folders on disk (CLI)', () => {
  it('a Hugging Face cache snapshot (a folder of symlinks into blobs/) loads; a broken link is named', async () => {
    const blobs = path.join(tmp, 'hub', 'blobs');
    const snapshot = path.join(tmp, 'hub', 'snapshots', 'abc123');
    fs.mkdirSync(blobs, { recursive: true });
    fs.mkdirSync(path.join(snapshot, 'onnx'), { recursive: true });
    for (const [i, name] of ['config.json', 'tokenizer.json', 'model.safetensors', 'onnx/model.onnx'].entries()) {
      fs.copyFileSync(path.join(storiesDir, name), path.join(blobs, `sha${i}`));
      fs.symlinkSync(path.relative(path.dirname(path.join(snapshot, name)), path.join(blobs, `sha${i}`)), path.join(snapshot, name));
    }
    fs.symlinkSync('..', path.join(snapshot, 'onnx', 'loop')); // a link back up is not walked twice
    const files = await readModelDir(snapshot);
    expect(files.map((f) => f.path)).toEqual(['config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json']);
    const summary = await lab.loadModel(files);
    expect(summary.importCheck?.passed).toBe(true);

    fs.symlinkSync(path.join(blobs, 'missing'), path.join(snapshot, 'generation_config.json'));
    await expect(readModelDir(snapshot)).rejects.toMatchObject({ code: 'missing-file', message: expect.stringMatching(/^generation_config\.json: a broken link \(→ .*missing\)/) });
  });

  it('a failed import check exits 1 naming the ONNX file; --allow-mismatch loads it and flags the result', () => {
    const folder = writeImportFolder('rope-theta', tmp);
    const refused = runCli('info', '--model', folder, '--json');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/error \[import-mismatch\]: onnx\/model\.onnx: the import check failed/);
    const allowed = runCli('info', '--model', folder, '--json', '--allow-mismatch');
    expect(allowed.status).toBe(0);
    const summary = JSON.parse(allowed.last) as { mismatchAllowed?: boolean; importMismatch?: { referenceFile: string; maxAbsDiff: number } };
    expect(summary.mismatchAllowed).toBe(true);
    expect(summary.importMismatch?.referenceFile).toBe('onnx/model.onnx');
    expect(summary.importMismatch?.maxAbsDiff).toBeGreaterThan(1e-4);
    expect(allowed.stderr).toMatch(/WARNING: loaded with --allow-mismatch: the import check against onnx\/model\.onnx failed/);
  });
});
