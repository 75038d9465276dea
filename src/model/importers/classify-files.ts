// Sorts dropped files by sniffed content into config/tokenizer JSON, safetensors, ONNX and the rest.
// A file whose name claims a model format but whose bytes are not one is 'not-a-model'. Pure module.

import { LabError } from '../../errors';
import { firstDuplicateKey } from '../../formats/json-duplicate-key';
import { sniffFile, type FileKind } from '../../formats/sniff';
import type { ModelFileRef } from '../loaded-model';

export interface ClassifiedFiles {
  json: Map<string, { file: ModelFileRef; value: Record<string, unknown> }[]>;
  safetensors: ModelFileRef[];
  onnx: ModelFileRef[];
  /** GGUF, zip and the like: reported only if no usable weights were dropped. */
  unusable: { file: ModelFileRef; kind: FileKind }[];
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const JSON_NAMES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

function notAModel(path: string, what: string): LabError {
  return new LabError('not-a-model', `${path}: not ${what} (the first bytes are not ${what === 'an ONNX model' ? 'a protobuf ModelProto' : 'a safetensors header'})`, { path });
}

export async function classifyFiles(files: ModelFileRef[]): Promise<ClassifiedFiles> {
  const out: ClassifiedFiles = { json: new Map(), safetensors: [], onnx: [], unusable: [] };
  for (const file of files) {
    const kind = await sniffFile(file);
    const name = basename(file.path).toLowerCase();
    if (kind === 'onnx') out.onnx.push(file);
    else if (kind === 'safetensors') out.safetensors.push(file);
    else if (kind === 'gguf' || kind === 'zip') out.unusable.push({ file, kind });
    else if (name.endsWith('.onnx')) throw notAModel(file.path, 'an ONNX model');
    else if (name.endsWith('.safetensors')) throw notAModel(file.path, 'a safetensors file');
    else if (kind === 'json' && (JSON_NAMES.includes(name) || name.endsWith('.index.json'))) {
      let value: Record<string, unknown>;
      const text = await file.blob.text();
      try {
        value = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new LabError('corrupt', `${file.path}: not valid JSON (${(e as Error).message})`, { path: file.path });
      }
      // A field written twice is ambiguous (JSON.parse keeps the last copy); tokenizer.json (megabytes of vocabulary) is left to its own checks.
      const repeated = name === 'tokenizer.json' ? null : firstDuplicateKey(text);
      if (repeated !== null) throw new LabError('corrupt', `${file.path}: the key '${repeated}' appears twice in one object; which value is meant is ambiguous`, { path: file.path, key: repeated });
      const key = name.endsWith('.index.json') ? 'index.json' : name;
      out.json.set(key, [...(out.json.get(key) ?? []), { file, value }]);
    } else if (JSON_NAMES.includes(name)) {
      throw new LabError('corrupt', `${file.path}: not JSON (the first bytes are not '{')`, { path: file.path });
    }
  }
  return out;
}

/** The shallowest file of a kind (a dropped parent folder may hold copies in subfolders). */
export function shallowest<T extends { file: ModelFileRef }>(items: T[] | undefined): T | null {
  if (!items || items.length === 0) return null;
  const depth = (p: string) => p.split('/').length;
  return [...items].sort((a, b) => depth(a.file.path) - depth(b.file.path) || a.file.path.localeCompare(b.file.path))[0];
}

/** onnx/model.onnx (fp32) first, then fp16, then anything else (q4 etc.) alphabetically. */
export function pickOnnx(files: ModelFileRef[]): ModelFileRef | null {
  const rank = (f: ModelFileRef) => {
    const name = basename(f.path);
    const base = name === 'model.onnx' ? 0 : name === 'model_fp16.onnx' ? 2 : 4;
    return base + (f.path.endsWith('onnx/' + name) ? 0 : 1);
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path))[0] ?? null;
}

export function describeUnusable(item: { file: ModelFileRef; kind: FileKind }): LabError {
  const { file, kind } = item;
  if (kind === 'gguf') {
    return new LabError('unsupported-format', `${file.path}: a GGUF (llama.cpp) file; Prunelab reads Hugging Face folders: drop config.json, tokenizer.json and the .safetensors or onnx/model.onnx files instead`, { path: file.path });
  }
  return new LabError('unsupported-format', `${file.path}: a zip archive (or PyTorch .bin checkpoint); unzip it, or convert the weights to .safetensors, and drop the folder`, { path: file.path });
}
