// Model folders that LOAD but whose import check must FAIL: built from the real stories260K files,
// each disagreeing with its ONNX graph in one way. Shared by the Node tests (test/lab/import-check-
// negative.test.ts) and the e2e UI test, so it uses plain node:fs only (no vitest, no src/ imports).
//
// Kinds:
//   'rope-theta'          ONNX folder (config + tokenizer + onnx/model.onnx); config.json rope_theta
//                         10000 → BAD_IMPORT.ropeTheta. The Optimum graph has RoPE baked in as constants,
//                         our rebuilt graph takes it from config.json.
//   'rms-norm-eps'        same, rms_norm_eps 1e-5 → BAD_IMPORT.rmsNormEps (the ONNX graph keeps 1e-5).
//   'safetensors-differs' model.safetensors + onnx/model.onnx dropped together; the safetensors weights
//                         (which the loader uses) have BAD_IMPORT.tensor scaled by BAD_IMPORT.weightScale,
//                         the ONNX (the import check's reference) is the original.
//   'control'             safetensors + onnx/model.onnx, both unchanged: the check must pass.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type BadImportKind = 'rope-theta' | 'rms-norm-eps' | 'safetensors-differs';
export type ImportFolderKind = BadImportKind | 'control';

export const BAD_IMPORT_KINDS: readonly BadImportKind[] = ['rope-theta', 'rms-norm-eps', 'safetensors-differs'];

/**
 * The disagreements written: realistic config mix-ups (Llama-3's rope_theta, Llama-2's 1e-6 eps) and a
 * 0.1% change of one matrix. Measured max |Δlogit| on stories260K's 24 probe tokens (tolerance 1e-4):
 * rope_theta 500000 → 5.7, 20000 → 0.92, 10100 → 1.4e-2; rms_norm_eps 1e-6 → 1.0e-3, 1e-4 → 1.0e-2,
 * 0.1 → 10; down_proj ×1.001 → 6.7e-3, ×1.0001 → 6.8e-4, ×1.01 → 6.7e-2.
 */
export const BAD_IMPORT = {
  ropeTheta: 500_000,
  rmsNormEps: 1e-6,
  tensor: 'model.layers.2.mlp.down_proj.weight',
  weightScale: 1.001,
} as const;

export interface ImportFolderFile {
  /** Relative to the folder, '/'-separated (e.g. 'onnx/model.onnx'). */
  path: string;
  bytes: Uint8Array;
}

export const stories260KSourceDir = fileURLToPath(new URL('../../public/models/stories260K/', import.meta.url));

const TEXT_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export interface ImportFolderOptions {
  /** Folder to copy from (default the bundled stories260K). */
  sourceDir?: string;
  /** 'safetensors-differs' only: factor applied to `tensor` (default BAD_IMPORT.weightScale). */
  weightScale?: number;
  /** 'safetensors-differs' only: the tensor to scale (default BAD_IMPORT.tensor). */
  tensor?: string;
  /** 'rope-theta' only (default BAD_IMPORT.ropeTheta). */
  ropeTheta?: number;
  /** 'rms-norm-eps' only (default BAD_IMPORT.rmsNormEps). */
  rmsNormEps?: number;
}

/** The folder's files in memory (for Playwright's setInputFiles buffers or ModelFileRefs). */
export function importFolderFiles(kind: ImportFolderKind, options: ImportFolderOptions = {}): ImportFolderFile[] {
  const src = options.sourceDir ?? stories260KSourceDir;
  const read = (rel: string) => new Uint8Array(fs.readFileSync(path.join(src, rel)));
  const files: ImportFolderFile[] = TEXT_FILES.filter((f) => fs.existsSync(path.join(src, f))).map((f) => ({ path: f, bytes: read(f) }));
  const config = JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (kind === 'rope-theta') config.rope_theta = options.ropeTheta ?? BAD_IMPORT.ropeTheta;
  if (kind === 'rms-norm-eps') config.rms_norm_eps = options.rmsNormEps ?? BAD_IMPORT.rmsNormEps;
  files[0] = { path: 'config.json', bytes: new TextEncoder().encode(JSON.stringify(config, null, 2)) };
  if (kind === 'safetensors-differs' || kind === 'control') {
    const st = read('model.safetensors');
    files.push({
      path: 'model.safetensors',
      bytes: kind === 'control' ? st : scaleSafetensorsTensor(st, options.tensor ?? BAD_IMPORT.tensor, options.weightScale ?? BAD_IMPORT.weightScale),
    });
  }
  files.push({ path: 'onnx/model.onnx', bytes: read('onnx/model.onnx') });
  return files;
}

/** Writes the folder under `root` (default a fresh temp dir) as `<root>/<kind>/`; returns that folder. */
export function writeImportFolder(kind: ImportFolderKind, root?: string, options: ImportFolderOptions = {}): string {
  const base = root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-bad-import-'));
  const dir = path.join(base, kind);
  for (const f of importFolderFiles(kind, options)) {
    const full = path.join(dir, ...f.path.split('/'));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, f.bytes);
  }
  return dir;
}

/** A copy of an F32 safetensors file with `edit` applied to one tensor's values (header unchanged). */
export function editSafetensorsTensor(file: Uint8Array, tensor: string, edit: (values: Float32Array) => void): Uint8Array {
  const out = file.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(out.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const entry = header[tensor];
  if (!entry) throw new Error(`editSafetensorsTensor: no tensor ${tensor}`);
  if (entry.dtype !== 'F32') throw new Error(`editSafetensorsTensor: ${tensor} is ${entry.dtype}, expected F32`);
  const start = 8 + headerLen + entry.data_offsets[0];
  const values = new Float32Array((entry.data_offsets[1] - entry.data_offsets[0]) / 4).map((_, i) => view.getFloat32(start + 4 * i, true));
  edit(values);
  values.forEach((v, i) => view.setFloat32(start + 4 * i, v, true));
  return out;
}

/** A copy of an F32 safetensors file with one tensor multiplied by `factor` (header unchanged). */
export function scaleSafetensorsTensor(file: Uint8Array, tensor: string, factor: number): Uint8Array {
  return editSafetensorsTensor(file, tensor, (values) => values.forEach((v, i) => (values[i] = v * factor)));
}
