// Weights stay where they are until used: loading reads headers only (with synchronous file reads, as
// the CLI has), an fp16 folder stays fp16 in memory, and a mask-only edit copies nothing.
// Real model: stories260K, written as fp16 safetensors here.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/cli/read-model-dir';
import { writeSafetensors } from '../../src/export/safetensors-writer';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { ModelFileRef } from '../../src/model/loaded-model';
import { blockLinearNames, type ModelSpec } from '../../src/model/model-spec';
import { heldBytes, MaskedWeight, StoredWeight, storedDtype, weightReadStats } from '../../src/model/stored-weight';
import { editWeights } from '../../src/pruning/apply-plan';
import { stories260KDir } from '../helpers/model-files';

let fp16Dir = '';
let fp32Spec: ModelSpec;

beforeAll(async () => {
  fp32Spec = (await loadModelFromFiles(await readModelDir(stories260KDir))).spec;
  fp16Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-fp16-'));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(stories260KDir, f), path.join(fp16Dir, f));
  const entries = [...fp32Spec.weights].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
  const file = writeSafetensors(entries, { dtype: 'F16' });
  fs.writeFileSync(path.join(fp16Dir, 'model.safetensors'), Buffer.concat(file.parts));
});

afterAll(() => fs.rmSync(fp16Dir, { recursive: true, force: true }));

/** The CLI's refs with every synchronous read counted. */
async function countedRefs(dir: string): Promise<{ refs: ModelFileRef[]; bytesRead: () => number }> {
  let bytes = 0;
  const refs = (await readModelDir(dir)).map((ref) => {
    const readSync = ref.readSync!;
    return { ...ref, readSync: (offset: number, length: number) => ((bytes += length), readSync(offset, length)) };
  });
  return { refs, bytesRead: () => bytes };
}

describe('stored weights', () => {
  it('loading reads headers only: no tensor byte is read until a tensor is used, then exactly its bytes', async () => {
    const { refs, bytesRead } = await countedRefs(fp16Dir);
    const { spec } = await loadModelFromFiles(refs);
    expect(bytesRead()).toBe(0);
    const weights = [...spec.weights.values()];
    expect(weights.every((w) => w instanceof StoredWeight && w.heldBytes === 0 && w.dtype === 'float16')).toBe(true);
    const q = spec.weights.get('model.layers.2.self_attn.q_proj.weight')!;
    const values = q.data;
    expect(bytesRead()).toBe(values.length * 2);
    // fp16 rounding of the fp32 original, nothing else.
    const original = fp32Spec.weights.get('model.layers.2.self_attn.q_proj.weight')!.data;
    let maxRel = 0;
    for (let i = 0; i < values.length; i++) maxRel = Math.max(maxRel, Math.abs(values[i] - original[i]) / Math.max(Math.abs(original[i]), 1e-3));
    expect(maxRel).toBeGreaterThan(0);
    expect(maxRel).toBeLessThan(1e-3);
  });

  it('without synchronous reads an fp16 folder is held as fp16 bytes: 2 per parameter, not 4', async () => {
    const refs = (await readModelDir(fp16Dir)).map(({ path: p, blob }) => ({ path: p, blob }));
    const { spec } = await loadModelFromFiles(refs);
    const params = [...spec.weights.values()].reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);
    const held = [...spec.weights.values()].reduce((n, w) => n + heldBytes(w), 0);
    expect(held).toBe(2 * params);
    expect([...spec.weights.values()].every((w) => storedDtype(w) === 'float16')).toBe(true);
    // The same values as the lazily read copy.
    const lazy = (await loadModelFromFiles(await readModelDir(fp16Dir))).spec;
    for (const [name, w] of spec.weights) expect(w.data).toEqual(lazy.weights.get(name)!.data);
  });

  it('a weights file deleted after loading gives a missing-file error naming it when a tensor is next used', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-gone-'));
    try {
      for (const f of fs.readdirSync(fp16Dir)) fs.copyFileSync(path.join(fp16Dir, f), path.join(dir, f));
      const { spec } = await loadModelFromFiles(await readModelDir(dir));
      fs.rmSync(path.join(dir, 'model.safetensors'));
      expect(() => spec.weights.get('model.embed_tokens.weight')!.data).toThrow(
        expect.objectContaining({ code: 'missing-file', message: expect.stringMatching(/^model\.safetensors: can no longer be read .*drop the model folder again/) }),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a mask-only edit of one block copies no tensor: other blocks are the same objects, the edited ones hold 1 bit per entry', async () => {
    const { refs, bytesRead } = await countedRefs(fp16Dir);
    const { spec } = await loadModelFromFiles(refs);
    const names = blockLinearNames(spec, 1);
    const masks = Object.fromEntries(names.map((n) => {
      const size = spec.weights.get(n)!.shape.reduce((a, d) => a * d, 1);
      return [n, Uint8Array.from({ length: size }, (_, i) => i % 2)];
    }));
    const before = weightReadStats.fileBytesRead;
    const edited = editWeights(spec, masks, {});
    expect(bytesRead()).toBe(0);
    expect(weightReadStats.fileBytesRead).toBe(before);
    for (const [name, w] of edited.weights) {
      if (names.includes(name)) {
        expect(w).toBeInstanceOf(MaskedWeight);
        const size = w.shape.reduce((a, d) => a * d, 1);
        expect((w as MaskedWeight).heldBytes).toBe(Math.ceil(size / 8));
        const data = w.data;
        const base = spec.weights.get(name)!.data;
        for (let i = 0; i < size; i++) expect(data[i]).toBe(i % 2 ? base[i] : 0);
      } else expect(w).toBe(spec.weights.get(name));
    }
    // The loaded spec is untouched.
    expect(spec.weights.get(names[0])!.data.some((v, i) => i % 2 === 0 && v !== 0)).toBe(true);
  });
});
