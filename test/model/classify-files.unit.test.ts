// Unit tests for dropped-file sorting (src/model/importers/classify-files.ts). Small in-memory blobs only.

import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { basename, classifyFiles, describeUnusable, pickOnnx, shallowest } from '../../src/model/importers/classify-files';
import type { ModelFileRef } from '../../src/model/loaded-model';
import { refOf, writeSafetensors } from './helpers';

/** ir_version 7, then producer_name "abc": the smallest head that sniffs as an ONNX ModelProto. */
const ONNX_BYTES = new Uint8Array([0x08, 0x07, 0x12, 0x03, 0x61, 0x62, 0x63]);
const GGUF_BYTES = new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);
const ZIP_BYTES = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]);
const RANDOM_BYTES = new Uint8Array([0x01, 0x02, 0x03, 0xff, 0x00, 0x10, 0x20, 0x30]);

async function rejection(p: Promise<unknown>): Promise<LabError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LabError);
    return e as LabError;
  }
  throw new Error('expected a LabError, nothing was thrown');
}

const ref = (path: string): ModelFileRef => refOf(path, '');

describe('basename', () => {
  it('returns the part after the last slash', () => {
    expect(basename('a/b/config.json')).toBe('config.json');
    expect(basename('config.json')).toBe('config.json');
  });
});

describe('classifyFiles', () => {
  it('sorts files by sniffed content, not by name', async () => {
    const st = refOf('weights.bin', writeSafetensors([]));
    const onnx = refOf('graph.data', ONNX_BYTES);
    const gguf = refOf('model.gguf', GGUF_BYTES);
    const zip = refOf('pytorch_model.bin', ZIP_BYTES);
    const other = refOf('README.md', '# a model');
    const out = await classifyFiles([st, onnx, gguf, zip, other]);
    expect(out.safetensors).toEqual([st]);
    expect(out.onnx).toEqual([onnx]);
    expect(out.unusable).toEqual([{ file: gguf, kind: 'gguf' }, { file: zip, kind: 'zip' }]);
    expect(out.json.size).toBe(0);
  });

  it('GGUF or zip bytes named .onnx / .safetensors are unusable, not "not a model"', async () => {
    const a = refOf('model.onnx', GGUF_BYTES);
    const b = refOf('model.safetensors', ZIP_BYTES);
    const out = await classifyFiles([a, b]);
    expect(out.unusable).toEqual([{ file: a, kind: 'gguf' }, { file: b, kind: 'zip' }]);
  });

  it('parses the known JSON files, keyed by lower-cased name; shard indexes share the key index.json', async () => {
    const cfg = refOf('m/Config.JSON', '{"model_type": "llama"}');
    const cfg2 = refOf('m/sub/config.json', '{"model_type": "gpt2"}');
    const tok = refOf('m/tokenizer.json', '{"model": {}}');
    const tokCfg = refOf('m/tokenizer_config.json', '{}');
    const gen = refOf('m/generation_config.json', '{"eos_token_id": 2}');
    const index = refOf('m/model.safetensors.index.json', '{"weight_map": {}}');
    const vocab = refOf('m/vocab.json', '{"a": 1}');
    const out = await classifyFiles([cfg, cfg2, tok, tokCfg, gen, index, vocab]);
    expect([...out.json.keys()].sort()).toEqual(['config.json', 'generation_config.json', 'index.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(out.json.get('config.json')).toEqual([
      { file: cfg, value: { model_type: 'llama' } },
      { file: cfg2, value: { model_type: 'gpt2' } },
    ]);
    expect(out.json.get('generation_config.json')).toEqual([{ file: gen, value: { eos_token_id: 2 } }]);
    expect(out.json.get('index.json')).toEqual([{ file: index, value: { weight_map: {} } }]);
    expect(out.json.get('tokenizer_config.json')).toEqual([{ file: tokCfg, value: {} }]);
    expect(out.safetensors).toEqual([]);
    expect(out.onnx).toEqual([]);
    expect(out.unusable).toEqual([]);
  });

  it('random bytes named .onnx → not-a-model', async () => {
    const e = await rejection(classifyFiles([refOf('onnx/model.onnx', RANDOM_BYTES)]));
    expect(e.code).toBe('not-a-model');
    expect(e.message).toBe('onnx/model.onnx: not an ONNX model (the first bytes are not a protobuf ModelProto)');
    expect(e.details).toEqual({ path: 'onnx/model.onnx' });
  });

  it('random bytes named .safetensors (any case) → not-a-model', async () => {
    const e = await rejection(classifyFiles([refOf('Model.SafeTensors', RANDOM_BYTES)]));
    expect(e.code).toBe('not-a-model');
    expect(e.message).toBe('Model.SafeTensors: not a safetensors file (the first bytes are not a safetensors header)');
    expect(e.details).toEqual({ path: 'Model.SafeTensors' });
  });

  it('a name merely starting with .safetensors is not a claim', async () => {
    const out = await classifyFiles([refOf('.safetensors-notes.txt', RANDOM_BYTES)]);
    expect(out.safetensors).toEqual([]);
    expect(out.unusable).toEqual([]);
  });

  it('unknown bytes with other names are ignored', async () => {
    const out = await classifyFiles([refOf('pytorch_model.bin', RANDOM_BYTES), refOf('notes.txt', 'hello')]);
    expect(out).toEqual({ json: new Map(), safetensors: [], onnx: [], unusable: [] });
  });

  it('a JSON-looking config.json that does not parse → corrupt', async () => {
    const e = await rejection(classifyFiles([refOf('x/config.json', '{"model_type": ')]));
    expect(e.code).toBe('corrupt');
    expect(e.message.startsWith('x/config.json: not valid JSON (')).toBe(true);
    expect(e.message.endsWith(')')).toBe(true);
    expect(e.details).toEqual({ path: 'x/config.json' });
  });

  it('a known JSON name whose bytes are not JSON → corrupt', async () => {
    const e = await rejection(classifyFiles([refOf('x/tokenizer.json', 'not json at all')]));
    expect(e.code).toBe('corrupt');
    expect(e.message).toBe("x/tokenizer.json: not JSON (the first bytes are not '{')");
    expect(e.details).toEqual({ path: 'x/tokenizer.json' });
  });

  it('non-JSON bytes under an unknown .json name are ignored', async () => {
    const out = await classifyFiles([refOf('x/special_tokens_map.json', 'oops')]);
    expect(out.json.size).toBe(0);
  });
});

describe('shallowest', () => {
  it('null for undefined or empty', () => {
    expect(shallowest(undefined)).toBeNull();
    expect(shallowest([])).toBeNull();
  });

  it('picks the fewest path segments, then alphabetical; leaves the input in place', () => {
    const deep = { file: ref('a/b/config.json') };
    const z = { file: ref('z/config.json') };
    const y = { file: ref('y/config.json') };
    const items = [deep, z, y];
    expect(shallowest(items)).toBe(y);
    expect(items).toEqual([deep, z, y]);
    expect(shallowest([deep, z])).toBe(z);
    const root = { file: ref('config.json') };
    expect(shallowest([z, deep, root])).toBe(root);
    // Depth counts path segments, not characters.
    const longName = { file: ref('a-rather-long-folder-name/config.json') };
    expect(shallowest([deep, longName])).toBe(longName);
  });
});

describe('pickOnnx', () => {
  it('null for no files', () => {
    expect(pickOnnx([])).toBeNull();
  });

  it('onnx/model.onnx first, then a model.onnx elsewhere, then fp16, then the rest alphabetically', () => {
    const fp32 = ref('m/onnx/model.onnx');
    const rootFp32 = ref('a/model.onnx');
    const fp16 = ref('m/onnx/model_fp16.onnx');
    const rootFp16 = ref('a/model_fp16.onnx');
    const q4 = ref('m/onnx/model_q4.onnx');
    const int8 = ref('m/onnx/model_int8.onnx');
    const otherQ = ref('a/model_bnb4.onnx');
    const input = [otherQ, q4, int8, rootFp16, fp16, rootFp32, fp32];
    expect(pickOnnx(input)).toBe(fp32);
    expect(input[6]).toBe(fp32);
    expect(pickOnnx([otherQ, q4, int8, rootFp16, fp16, rootFp32])).toBe(rootFp32);
    expect(pickOnnx([otherQ, q4, int8, rootFp16, fp16])).toBe(fp16);
    expect(pickOnnx([otherQ, q4, int8, rootFp16])).toBe(rootFp16);
    expect(pickOnnx([otherQ, q4, int8])).toBe(int8);
    expect(pickOnnx([otherQ, q4])).toBe(q4);
    expect(pickOnnx([otherQ])).toBe(otherQ);
  });

  it('plain onnx/model.onnx at the root of the drop beats model.onnx', () => {
    const a = ref('model.onnx');
    const b = ref('onnx/model.onnx');
    expect(pickOnnx([a, b])).toBe(b);
  });
});

describe('describeUnusable', () => {
  it('GGUF → unsupported-format pointing at the Hugging Face folder', () => {
    const e = describeUnusable({ file: ref('x/model.Q4_K_M.gguf'), kind: 'gguf' });
    expect(e).toBeInstanceOf(LabError);
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toBe('x/model.Q4_K_M.gguf: a GGUF (llama.cpp) file; Prunelab reads Hugging Face folders: drop config.json, tokenizer.json and the .safetensors or onnx/model.onnx files instead');
    expect(e.details).toEqual({ path: 'x/model.Q4_K_M.gguf' });
  });

  it('zip → unsupported-format asking to unzip or convert', () => {
    const e = describeUnusable({ file: ref('x/pytorch_model.bin'), kind: 'zip' });
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toBe('x/pytorch_model.bin: a zip archive (or PyTorch .bin checkpoint); unzip it, or convert the weights to .safetensors, and drop the folder');
    expect(e.details).toEqual({ path: 'x/pytorch_model.bin' });
  });
});
