// A ModelSpec → a transformers.js folder: config.json, generation_config.json, tokenizer files and
// onnx/model{,_fp16,_q4}.onnx (Optimum decoder I/O, built by graph/). Pure: Blob is the only platform
// API used; no runtime, Node or DOM-specific imports.

import { LabError } from '../errors';
import { buildModelGraph } from '../graph/build-graph';
import { tensorByteLength, type OnnxModel, type OnnxTensor } from '../graph/onnx-writer';
import type { LoadedModel } from '../model/loaded-model';
import type { ModelSpec } from '../model/model-spec';
import { exportConfig } from './export-config';
import { toFloat16, toMatMulNBits } from './onnx-rewrite';

export type OnnxExportDtype = 'fp32' | 'fp16' | 'q4';

export interface OnnxFolderOptions {
  /** Which graphs to write (transformers.js `dtype` → file suffix); default ['fp32']. */
  dtype?: OnnxExportDtype | OnnxExportDtype[];
  /**
   * A graph whose weights exceed this many bytes keeps them in `onnx/<file>.onnx_data` (ONNX external
   * data; protobuf cannot hold 2 GB). Default 1.8e9.
   */
  externalDataThresholdBytes?: number;
}

export interface OnnxFolderFile {
  path: string;
  blob: Blob;
}

export type OnnxFolderInputs = Pick<LoadedModel, 'tokenizerJson' | 'tokenizerConfig' | 'generationConfig'>;

const FILE_SUFFIX: Record<OnnxExportDtype, string> = { fp32: '', fp16: '_fp16', q4: '_q4' };
const DEFAULT_EXTERNAL_THRESHOLD_BYTES = 1.8e9;
/** Tensors smaller than this stay inline even in an external-data graph (shapes, scalars). */
const EXTERNAL_MIN_BYTES = 1024;
const EXTERNAL_ALIGN_BYTES = 64;
const Q4_BLOCK_SIZE = 32;

const json = (value: unknown) => new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });

export function exportTransformersJsFolder(spec: ModelSpec, loaded: OnnxFolderInputs, options: OnnxFolderOptions = {}): OnnxFolderFile[] {
  const dtypes = [...new Set(Array.isArray(options.dtype) ? options.dtype : [options.dtype ?? 'fp32'])];
  if (dtypes.length === 0) throw new LabError('bad-argument', 'ONNX export: no dtype asked for (fp32, fp16 or q4)');
  const config = transformersJsConfig(spec, loaded.generationConfig);
  const graphs: OnnxFolderFile[] = [];
  const external: Record<string, boolean> = {};
  for (const dtype of dtypes) {
    const fileName = `model${FILE_SUFFIX[dtype]}.onnx`;
    const variant = (m: OnnxModel) =>
      dtype === 'fp16' ? toFloat16(m) : dtype === 'q4' ? toMatMulNBits(m, { blockSize: Q4_BLOCK_SIZE, keepFloat: (p) => p === 'lm_head' }) : m;
    const data: { parts: Uint8Array[] | null } = { parts: null };
    const bytes = buildModelGraph(spec, {
      purpose: 'decoder',
      fold: false,
      rewrite: (m) => {
        const out = variant(m);
        const split = moveToExternalData(out, `${fileName}_data`, options.externalDataThresholdBytes ?? DEFAULT_EXTERNAL_THRESHOLD_BYTES);
        data.parts = split.dataParts;
        return split.model;
      },
    });
    graphs.push({ path: `onnx/${fileName}`, blob: new Blob([bytes as BlobPart], { type: 'application/octet-stream' }) });
    if (data.parts) {
      graphs.push({ path: `onnx/${fileName}_data`, blob: new Blob(data.parts as BlobPart[], { type: 'application/octet-stream' }) });
      external[fileName] = true;
    }
  }
  if (Object.keys(external).length > 0) {
    const previous = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
    config['transformers.js_config'] = { ...previous, use_external_data_format: external };
  }
  const files: OnnxFolderFile[] = [{ path: 'config.json', blob: json(config) }];
  if (loaded.generationConfig) files.push({ path: 'generation_config.json', blob: json(loaded.generationConfig) });
  files.push({ path: 'tokenizer.json', blob: json(loaded.tokenizerJson) });
  files.push({ path: 'tokenizer_config.json', blob: json(loaded.tokenizerConfig) });
  return [...files, ...graphs];
}

/**
 * config.json for transformers.js: the loaded config with the spec's block count and, for the llama
 * family, the (uniform) head / KV head / head_dim / FFN sizes. transformers.js reads ONE set of sizes
 * for all blocks, so blocks of different shapes are a 'bad-argument'.
 */
export function transformersJsConfig(spec: ModelSpec, generationConfig: Record<string, unknown> | null): Record<string, unknown> {
  return exportConfig(spec, generationConfig, 'transformers.js');
}

/**
 * When the initializers exceed `thresholdBytes`, every one of at least EXTERNAL_MIN_BYTES moves to
 * external data `location` (offsets aligned to 64 bytes); returns the rewritten model and the data
 * file's parts (views of the tensors, not copies), or null parts when everything fits inline.
 */
export function moveToExternalData(model: OnnxModel, location: string, thresholdBytes: number): { model: OnnxModel; dataParts: Uint8Array[] | null } {
  const total = model.initializers.reduce((n, t) => n + tensorByteLength(t), 0);
  if (total <= thresholdBytes) return { model, dataParts: null };
  const dataParts: Uint8Array[] = [];
  let offset = 0;
  const initializers = model.initializers.map((t) => {
    const length = tensorByteLength(t);
    if (length < EXTERNAL_MIN_BYTES) return t;
    const pad = (EXTERNAL_ALIGN_BYTES - (offset % EXTERNAL_ALIGN_BYTES)) % EXTERNAL_ALIGN_BYTES;
    if (pad) dataParts.push(new Uint8Array(pad));
    offset += pad;
    const data = t.data; // read once: graph initializers are lazy
    dataParts.push(new Uint8Array(data.buffer, data.byteOffset, length));
    const moved: OnnxTensor = { name: t.name, dataType: t.dataType, dims: t.dims, data, external: { location, offset, length } };
    offset += length;
    return moved;
  });
  return { model: { ...model, initializers }, dataParts };
}
