// graph/split-weights: weights larger than one WebGPU binding are split into row/column chunks. On
// stories260K with a 16 KiB (fp16: 8 KiB) "binding" every matrix is split (the embedding's Gather and tied Gemm
// head by rows, the block MatMuls by columns, the RoPE tables' position Gathers by rows) and the logits
// equal the unsplit graph's on onnxruntime-node cpu, in fp32 and fp16.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildModelProto } from '../../src/graph/build-graph';
import { tensorByteLength, TensorType, type OnnxModel } from '../../src/graph/onnx-writer';
import { splitOversizedWeights, UnsplittableWeightError } from '../../src/graph/split-weights';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { LoadedModel } from '../../src/model/loaded-model';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createSessionFromModel, readFloat32, type ort } from '../../src/runtime/ort';
import { decoderFeeds } from '../helpers/decoder-feeds';
import { stories260KLayouts } from '../helpers/model-files';

let loaded: LoadedModel;
beforeAll(async () => {
  useNativeOrt();
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
});

async function logitsOf(model: OnnxModel, ids: number[]): Promise<Float32Array> {
  const session = await createSessionFromModel(model, { backend: 'cpu' });
  const out = await session.run(decoderFeeds(loaded.spec, ids));
  const logits = await readFloat32(out.logits as ort.Tensor);
  await session.release();
  return logits;
}

describe('splitOversizedWeights', () => {
  // Token ids at both ends of the vocabulary and inside every chunk boundary's neighbourhood.
  const ids = [1, 0, 63, 64, 65, 127, 128, 300, 511, 256, 17];

  for (const precision of ['fp32', 'fp16'] as const) {
    // fp16 halves every weight, so its limit is halved to split the same tensors.
    const LIMIT = precision === 'fp32' ? 16 * 1024 : 8 * 1024;
    it(`every weight over ${LIMIT / 1024} KiB split, same logits (${precision})`, async () => {
      const whole = buildModelProto(loaded.spec, { purpose: 'decoder', precision });
      const split = splitOversizedWeights(buildModelProto(loaded.spec, { purpose: 'decoder', precision }), LIMIT);
      const oversized = whole.initializers.filter((t) => tensorByteLength(t) > LIMIT).map((t) => t.name);
      expect(oversized).toContain('model.embed_tokens.weight');
      expect(oversized.length).toBeGreaterThan(5 * 3);
      for (const t of split.initializers) expect(tensorByteLength(t), t.name).toBeLessThanOrEqual(LIMIT);
      for (const name of oversized) expect(split.initializers.some((t) => t.name === name)).toBe(false);
      expect(split.nodes.some((n) => n.opType === 'Sum')).toBe(true); // Gather by rows
      expect(split.nodes.filter((n) => n.opType === 'Concat').length).toBeGreaterThan(5 * 3); // products by columns/rows

      const [a, b] = [await logitsOf(whole, ids), await logitsOf(split, ids)];
      expect(b.length).toBe(a.length);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      expect(maxDiff).toBeLessThan(precision === 'fp32' ? 1e-4 : 1e-2);
    });
  }

  it('a model with nothing oversized comes back as it is', () => {
    const whole = buildModelProto(loaded.spec, { purpose: 'nll' });
    expect(splitOversizedWeights(whole, 1 << 30)).toBe(whole);
  });

  it('a weight used by an op it cannot split is an error naming the weight and the op', () => {
    const model: OnnxModel = {
      irVersion: 8,
      opsets: [{ domain: '', version: 17 }],
      producerName: 'test',
      graphName: 'add',
      nodes: [{ opType: 'Add', name: 'add', inputs: ['x', 'bias.weight'], outputs: ['y'] }],
      initializers: [{ name: 'bias.weight', dataType: TensorType.float, dims: [4, 4], data: new Float32Array(16) }],
      inputs: [{ name: 'x', elemType: TensorType.float, dims: [4, 4] }],
      outputs: [{ name: 'y', elemType: TensorType.float, dims: [4, 4] }],
    };
    expect(() => splitOversizedWeights(model, 16)).toThrow(UnsplittableWeightError);
    expect(() => splitOversizedWeights(model, 16)).toThrow(/bias\.weight .*Add input 1/);
  });
});
