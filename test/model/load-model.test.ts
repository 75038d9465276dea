import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors';
import { readSafetensorsHeader } from '../../src/formats/safetensors';
import { loadModelFromFiles } from '../../src/model/load-model';
import { gpt2Names, llamaNames, parameterCount } from '../../src/model/model-spec';
import { genaiDir, maxAbsDiff, randomGpt2Files, refOf, refsFrom, storiesDir, writeSafetensors } from './helpers';

const meta = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

async function load(dir: string, weights: string[]) {
  return loadModelFromFiles(refsFrom(dir, [...meta, ...weights]));
}

describe('loadModelFromFiles: stories260K', () => {
  it('loads safetensors with the config shapes and the generation eos ids', async () => {
    const progress: string[] = [];
    const m = await loadModelFromFiles(refsFrom(storiesDir, [...meta, 'model.safetensors']), (p) => progress.push(p.stage));
    expect(m.spec.family).toBe('llama');
    expect(m.spec.layers).toHaveLength(5);
    expect(m.spec.layers[0]).toEqual({ sourceIndex: 0, numHeads: 8, numKvHeads: 4, headDim: 8, intermediateSize: 172 });
    expect(m.spec.weights.get(llamaNames.k(4))!.shape).toEqual([32, 64]);
    expect(m.spec.weights.has(llamaNames.lmHead)).toBe(false);
    expect(parameterCount(m.spec)).toBe(260_032); // PROVENANCE.md: 260,032 parameters, tied embeddings counted once
    expect(m.spec.config.eosTokenIds).toEqual([2, 1]);
    expect(m.source).toMatchObject({ layout: 'safetensors', weightsDtype: 'float32', weightsFile: 'model.safetensors' });
    expect(m.referenceOnnx).toBeNull();
    expect(m.tokenizerConfig).toHaveProperty('bos_token');
    expect(progress).toContain('read');
    expect(progress).toContain('parse');
  });

  it('safetensors, Optimum ONNX and genai fp32 imports give the same weights', async () => {
    const st = await load(storiesDir, ['model.safetensors']);
    const optimum = await load(storiesDir, ['onnx/model.onnx']);
    const genai = await load(genaiDir, ['onnx/model.onnx']);
    expect(optimum.source.layout).toBe('onnx-optimum');
    expect(genai.source.layout).toBe('onnx-genai');
    expect(optimum.referenceOnnx?.file.path).toBe('onnx/model.onnx');
    for (const other of [optimum, genai]) {
      expect(other.spec.config.tieWordEmbeddings).toBe(true);
      expect([...other.spec.weights.keys()].sort()).toEqual([...st.spec.weights.keys()].sort());
      for (const [name, w] of st.spec.weights) {
        const o = other.spec.weights.get(name)!;
        expect(o.shape, name).toEqual(w.shape);
        expect(maxAbsDiff(o.data, w.data), name).toBeLessThan(1e-6);
      }
    }
  });

  it('q4 (MatMulNBits) alone imports close to fp32 with an untied quantized lm_head', async () => {
    const fp32 = await load(storiesDir, ['model.safetensors']);
    const q4 = await load(genaiDir, ['onnx/model_q4.onnx']);
    expect(q4.source.weightsDtype).toBe('q4');
    expect(q4.spec.config.tieWordEmbeddings).toBe(false);
    expect(q4.spec.weights.get(llamaNames.lmHead)!.shape).toEqual([512, 64]);
    for (const name of [llamaNames.q(0), llamaNames.down(4), llamaNames.gate(2)]) {
      const a = fp32.spec.weights.get(name)!.data;
      const b = q4.spec.weights.get(name)!.data;
      const range = Math.max(...a.map(Math.abs));
      // 4-bit symmetric blocks: error at most half a step (scale = absmax/8 or /7).
      expect(maxAbsDiff(a, b), name).toBeLessThan(range / 8);
      expect(maxAbsDiff(a, b), name).toBeGreaterThan(0);
    }
  });

  it('prefers safetensors for weights and keeps the ONNX as reference; picks model.onnx over model_q4.onnx', async () => {
    const both = await loadModelFromFiles(refsFrom(storiesDir, [...meta, 'model.safetensors', 'onnx/model.onnx', 'tokenizer.model', 'PROVENANCE.md']));
    expect(both.source.layout).toBe('safetensors');
    expect(both.referenceOnnx?.file.path).toBe('onnx/model.onnx');
    const variants = await load(genaiDir, ['onnx/model_q4.onnx', 'onnx/model.onnx']);
    expect(variants.source.weightsFile).toBe('onnx/model.onnx');
    expect(variants.source.weightsDtype).toBe('float32');
  });

  it('reads 2-shard safetensors with model.safetensors.index.json, and reports a missing shard', async () => {
    const src = await readSafetensorsHeader(refsFrom(storiesDir, ['model.safetensors'])[0]);
    const names = [...src.entries.keys()];
    const shards = [names.slice(0, 20), names.slice(20)].map((part) =>
      writeSafetensors(part.map((name) => {
        const e = src.entries.get(name)!;
        return { name, dtype: e.dtype, shape: e.shape, bytes: new Uint8Array(fs.readFileSync(path.join(storiesDir, 'model.safetensors')).subarray(e.begin, e.end)) };
      })),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-shards-'));
    const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    shards.forEach((bytes, i) => fs.writeFileSync(path.join(dir, shardNames[i]), bytes));
    const weightMap = Object.fromEntries(names.map((n, i) => [n, shardNames[i < 20 ? 0 : 1]]));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    for (const f of meta) fs.copyFileSync(path.join(storiesDir, f), path.join(dir, f));
    const sharded = await load(dir, ['model.safetensors.index.json', ...shardNames]);
    const whole = await load(storiesDir, ['model.safetensors']);
    expect(sharded.source.weightsFile).toBe(shardNames[0]);
    expect(sharded.source.weightBytes).toBe(shards[0].length + shards[1].length);
    for (const [name, w] of whole.spec.weights) expect(maxAbsDiff(sharded.spec.weights.get(name)!.data, w.data)).toBe(0);
    const missing = await load(dir, ['model.safetensors.index.json', shardNames[0]]).catch((e: LabError) => e);
    expect(missing).toMatchObject({ code: 'missing-file' });
    expect((missing as LabError).message).toMatch(/model\.safetensors\.index\.json: names shard 'model-00002-of-00002\.safetensors'/);
    fs.rmSync(dir, { recursive: true });
  });

  it('reports a tensor whose shape contradicts config.json', async () => {
    const src = await readSafetensorsHeader(refsFrom(storiesDir, ['model.safetensors'])[0]);
    const raw = fs.readFileSync(path.join(storiesDir, 'model.safetensors'));
    const bytes = writeSafetensors([...src.entries.values()].map((e) => ({
      name: e.name, dtype: e.dtype, shape: e.name === llamaNames.up(1) ? [86, 128] : e.shape, bytes: new Uint8Array(raw.subarray(e.begin, e.end)),
    })));
    const files = [...refsFrom(storiesDir, meta), refOf('model.safetensors', bytes)];
    const error = await loadModelFromFiles(files).catch((e: LabError) => e);
    expect(error).toMatchObject({ code: 'corrupt' });
    expect((error as LabError).message).toBe(`model.safetensors: tensor '${llamaNames.up(1)}' has shape [86, 128] but config.json implies [172, 64]`);
  });
});

describe('loadModelFromFiles: GPT-2 safetensors', () => {
  it('imports a tiny random GPT-2: Conv1D transposed to [out, in], c_attn split into q/k/v', async () => {
    const [h, L, inner, vocab, positions] = [16, 2, 64, 40, 32];
    const { files, tensors } = randomGpt2Files({ hidden: h, layers: L, inner, vocab, positions });
    const m = await loadModelFromFiles(files);
    const n = gpt2Names;
    expect(m.spec.family).toBe('gpt2');
    expect(m.spec.layers[1]).toEqual({ sourceIndex: 1, numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: inner });
    expect(m.spec.weights.get(n.q(1))!.shape).toEqual([h, h]);
    expect(m.spec.weights.get(n.fc(0))!.shape).toEqual([inner, h]);
    expect(m.spec.weights.get(n.proj(0))!.shape).toEqual([h, inner]);
    expect(m.spec.weights.get(n.vBias(0))!.shape).toEqual([h]);
    // Element checks: canonical W[out, in] = file Conv1D[in, out] transposed; k is columns h..2h-1 of c_attn.
    const cAttn = tensors.find((t) => t.name === 'h.0.attn.c_attn.weight')!.data;
    const k = m.spec.weights.get(n.k(0))!.data;
    expect(k[3 * h + 5]).toBe(cAttn[5 * 3 * h + h + 3]);
    const fcFile = tensors.find((t) => t.name === 'h.1.mlp.c_fc.weight')!.data;
    expect(m.spec.weights.get(n.fc(1))!.data[7 * h + 2]).toBe(fcFile[2 * inner + 7]);
    const vBiasFile = tensors.find((t) => t.name === 'h.1.attn.c_attn.bias')!.data;
    expect(m.spec.weights.get(n.vBias(1))!.data[0]).toBe(vBiasFile[2 * h]);
    expect(m.spec.config).toMatchObject({ tieWordEmbeddings: true, hiddenAct: 'gelu_new', maxPositionEmbeddings: positions });
  });
});
