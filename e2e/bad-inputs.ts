// The bad-input table, shared by the unit tests (test/model/bad-inputs.test.ts, through Lab.loadModel in
// Node) and the e2e tests (bad-inputs.spec.ts, through the UI): each row builds its files from the real
// stories260K files at call time (bad-input-files.ts; nothing hand-edited is committed) and states its
// outcome: an error code with a message pattern that names the file (and the field or tensor), or 'loads'.
// Node only (the e2e calls makeFiles in Node and hands the bytes to the browser).

import type { LabErrorCode } from '../src/errors';
import { importFolderFiles } from '../test/helpers/bad-import-folders';
import {
  configWith, cut, json, onnxIrVersion, text, randomBytes, real, realJson, safetensorsDuplicateKey, safetensorsFractionalOffset,
  safetensorsLengthShort, safetensorsOffsetsPastEnd, safetensorsOverlap, safetensorsWithValue, type BadInputFile,
} from './bad-input-files';

export type { BadInputFile } from './bad-input-files';

export interface BadInputRow {
  id: string;
  /** 'model': dropped as a model; 'text': used as the evaluation text of a loaded model. */
  kind: 'model' | 'text';
  /** The class of issue 14 (or the earlier table) the row stands for. */
  group: 'files' | 'offsets' | 'config' | 'unimplemented' | 'weights' | 'mismatch' | 'runtime' | 'text' | 'control';
  description: string;
  /** The error's code, or 'loads' (a control: the lab must accept it). */
  expectedCode: LabErrorCode | 'loads';
  /** Must match the error message; names the offending file. Unused for 'loads'. */
  messagePattern: RegExp;
  makeFiles(): Promise<BadInputFile[]>;
}

const tokenizer = () => real('tokenizer.json');
const config = () => real('config.json');
const safetensors = () => real('model.safetensors');
/** config.json + tokenizer.json + model.safetensors with `config` replaced. */
const withConfig = (extra: Record<string, unknown>) => async () => [configWith(extra), tokenizer(), safetensors()];
/** config.json + tokenizer.json + the given weight file. */
const withWeights = (weights: () => BadInputFile) => async () => [config(), tokenizer(), weights()];

type Row = Omit<BadInputRow, 'makeFiles'> & { makeFiles: () => Promise<BadInputFile[]> };
const model = (group: BadInputRow['group'], id: string, description: string, expectedCode: BadInputRow['expectedCode'], messagePattern: RegExp, makeFiles: Row['makeFiles']): BadInputRow => ({
  id, kind: 'model', group, description, expectedCode, messagePattern, makeFiles,
});
const configRow = (id: string, extra: Record<string, unknown>, code: BadInputRow['expectedCode'], pattern: RegExp, group: BadInputRow['group'] = 'config') =>
  model(group, id, `config.json with ${JSON.stringify(extra)}`, code, pattern, withConfig(extra));

export const badInputs: BadInputRow[] = [
  // The first table: files that are not what they claim, cut short, or missing.
  model('files', 'random-bytes-onnx', 'random bytes named onnx/model.onnx', 'not-a-model', /onnx\/model\.onnx: not an ONNX model/,
    async () => [config(), tokenizer(), { path: 'onnx/model.onnx', bytes: randomBytes(65536) }]),
  model('files', 'truncated-onnx', 'onnx/model.onnx cut to 60% of its bytes', 'truncated', /onnx\/model\.onnx: truncated/,
    async () => [config(), tokenizer(), cut(real('onnx/model.onnx'), 0.6)]),
  model('files', 'truncated-safetensors', 'model.safetensors cut to 70% of its bytes', 'truncated',
    /model\.safetensors: truncated: header declares \d+ bytes of tensor data but the file has \d+/, withWeights(() => cut(safetensors(), 0.7))),
  model('files', 'config-without-weights', 'config.json and tokenizer.json but no weights', 'missing-file',
    /config\.json found but no model weights \(\.safetensors or \.onnx\)/, async () => [config(), tokenizer()]),
  model('files', 'weights-without-config', 'model.safetensors and tokenizer.json but no config.json', 'missing-file',
    /no config\.json among the dropped files \(.*model\.safetensors.*\)/, async () => [safetensors(), tokenizer()]),
  model('files', 'missing-tokenizer', 'config.json and model.safetensors but no tokenizer.json', 'missing-file',
    /no tokenizer\.json among the dropped files/, async () => [config(), safetensors()]),
  model('files', 'tokenizer-vocab-mismatch', 'tokenizer.json with 88 extra vocabulary entries beyond the 512-row embedding', 'tokenizer-mismatch',
    /tokenizer\.json: its vocabulary has 600 ids but the model's embedding has 512 rows/, async () => {
      const tok = realJson('tokenizer.json') as { model: { vocab: Record<string, number> } };
      for (let id = 512; id < 600; id++) tok.model.vocab[`<extra_${id}>`] = id;
      return [config(), json('tokenizer.json', tok), safetensors()];
    }),
  configRow('unsupported-architecture', { model_type: 'bert', architectures: ['BertForMaskedLM'] }, 'unsupported-architecture',
    /config\.json: model_type 'bert' \(BertForMaskedLM\) is not supported; supported: llama, mistral, qwen2, gpt2/),
  model('files', 'gguf-file', 'a GGUF file (llama.cpp) dropped alone with config.json', 'unsupported-format', /model\.gguf: a GGUF \(llama\.cpp\) file/,
    async () => [config(), { path: 'model.gguf', bytes: new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, ...randomBytes(56)]) }]),

  // Numbers read from a file are checked before use (issue 14: crashes and silently shifted weights).
  model('offsets', 'safetensors-offsets-past-end', 'a safetensors header whose last tensor points past the end of the file', 'corrupt',
    /model\.safetensors: corrupt: tensor '[^']+' has data_offsets \[\d+, \d+\] pointing past the end/, withWeights(safetensorsOffsetsPastEnd)),
  model('offsets', 'safetensors-fractional-offset', 'data_offsets with a fraction (was a native abort in Blob.slice)', 'corrupt',
    /model\.safetensors: corrupt: tensor '[^']+' has data_offsets \[[\d.]+,[\d.]+\]; they must be whole byte offsets/, withWeights(safetensorsFractionalOffset)),
  model('offsets', 'safetensors-overlap', 'two tensors whose data overlap by 4 bytes', 'corrupt', /model\.safetensors: corrupt: .*overlap/, withWeights(safetensorsOverlap)),
  model('offsets', 'safetensors-header-length-short', 'a header length stated 4 bytes short (every weight shifted; was ppl 13,405 and exit 0)', 'corrupt',
    /model\.safetensors: corrupt: 4 bytes follow the last tensor's data/, withWeights(safetensorsLengthShort)),
  model('offsets', 'safetensors-duplicate-key', 'a tensor listed twice in the header', 'corrupt', /model\.safetensors: corrupt: the header lists tensor '[^']+' twice/,
    withWeights(safetensorsDuplicateKey)),

  // config.json numbers (issue 14: 1e9 layers ran out of heap; fractions and zeros loaded 2 or 0 layers).
  configRow('config-layers-1e9', { num_hidden_layers: 1e9 }, 'corrupt', /config\.json: 'num_hidden_layers' is 1000000000; it must be a whole number from 1 to 1024/),
  configRow('config-layers-fraction', { num_hidden_layers: 2.5 }, 'corrupt', /config\.json: 'num_hidden_layers' is 2\.5/),
  configRow('config-layers-zero', { num_hidden_layers: 0 }, 'corrupt', /config\.json: 'num_hidden_layers' is 0/),
  configRow('config-vocab-negative', { vocab_size: -5 }, 'corrupt', /config\.json: 'vocab_size' is -5/),
  configRow('config-positions-zero', { max_position_embeddings: 0 }, 'corrupt', /config\.json: 'max_position_embeddings' is 0/),
  configRow('config-eps-negative', { rms_norm_eps: -1 }, 'corrupt', /config\.json: 'rms_norm_eps' is -1; it must be positive/),
  configRow('config-rope-theta-zero', { rope_theta: 0 }, 'corrupt', /config\.json: 'rope_theta' is 0; it must be positive/),
  model('config', 'config-duplicate-key', 'config.json naming vocab_size twice (JSON.parse keeps the last silently)', 'corrupt',
    /config\.json: the key 'vocab_size' appears twice in one object/, async () => {
      const body = JSON.stringify(realJson('config.json'));
      return [text('config.json', `${body.slice(0, -1)},"vocab_size":600}`), tokenizer(), safetensors()];
    }),
  configRow('config-fewer-layers', { num_hidden_layers: 3 }, 'corrupt',
    /model\.safetensors: has weights for 5 blocks \(e\.g\. '[^']+'\) but config\.json declares num_hidden_layers 3/, 'mismatch'),

  // Config fields the graphs do not build: refused by name, never ignored.
  configRow('config-hidden-act', { hidden_act: 'gelu' }, 'unsupported-architecture', /config\.json: hidden_act "gelu" is not implemented/, 'unimplemented'),
  configRow('config-rope-scaling-yarn', { rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'unsupported-architecture', /config\.json: rope_scaling type 'yarn' is not supported/, 'unimplemented'),
  configRow('config-sliding-window', { model_type: 'qwen2', use_sliding_window: true, sliding_window: 64 }, 'unsupported-architecture',
    /config\.json: use_sliding_window true is not implemented/, 'unimplemented'),

  // Weights and files that parse but do not describe one working model.
  model('weights', 'nan-weights', 'model.safetensors with two NaN weights (was "ppl": null and exit 0)', 'non-finite',
    /model\.safetensors: tensor 'model\.layers\.2\.mlp\.down_proj\.weight' holds 2 NaN or infinite values/,
    withWeights(() => safetensorsWithValue('model.layers.2.mlp.down_proj.weight', Number.NaN, [3, 50]))),
  model('mismatch', 'import-check-fails', 'model.safetensors with one tensor ×1.01, dropped with the original ONNX (was loaded, exit 0)', 'import-mismatch',
    /onnx\/model\.onnx: the import check failed: .* give different logits/,
    async () => importFolderFiles('safetensors-differs', { weightScale: 1.01 }).map((f) => ({ path: f.path, bytes: f.bytes }))),
  model('runtime', 'onnx-ir-version-future', 'onnx/model.onnx with ir_version 60, which onnxruntime refuses (its error lacked the file name)', 'runtime',
    /^onnx\/model\.onnx: (native )?onnxruntime could not load it on \w+: /, async () => [config(), tokenizer(), safetensors(), onnxIrVersion(60)]),

  // Controls: what must still load.
  configRow('control-inactive-settings', { use_sliding_window: false, sliding_window: 64, mlp_bias: false, hidden_act: 'silu' }, 'loads', /./, 'control'),

  // Texts.
  { id: 'empty-text', kind: 'text', group: 'text', description: 'an empty evaluation text file', expectedCode: 'bad-text', messagePattern: /empty\.txt/,
    makeFiles: async () => [{ path: 'empty.txt', bytes: new Uint8Array(0) }] },
];
