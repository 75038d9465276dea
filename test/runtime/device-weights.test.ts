// runtime/device-weights: an engine's graphs take their weights as inputs bound to device buffers,
// uploaded once and shared by every purpose. A fake device (records buffers and writes; its "GPU
// tensors" are CPU tensors over the written bytes) lets onnxruntime-node check the bound graphs compute
// the same logits and NLL as the graphs with weights inside, with and without splitting.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildModelProto } from '../../src/graph/build-graph';
import { tensorByteLength, TensorType, type OnnxModel } from '../../src/graph/onnx-writer';
import { loadModelFromFiles } from '../../src/model/load-model';
import type { LoadedModel } from '../../src/model/loaded-model';
import { DeviceWeights, MIN_DEVICE_WEIGHT_BYTES, type GpuBufferLike, type GpuDeviceLike } from '../../src/runtime/device-weights';
import { useNativeOrt } from '../../src/runtime/native-ort';
import { createSessionFromModel, int64Tensor, ort, readFloat32 } from '../../src/runtime/ort';
import { decoderFeeds } from '../helpers/decoder-feeds';
import { stories260KLayouts } from '../helpers/model-files';

class FakeBuffer implements GpuBufferLike {
  readonly bytes: Uint8Array;
  destroyed = false;
  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }
  destroy(): void {
    this.destroyed = true;
  }
}

function fakeDevice(maxBindingBytes: number) {
  const buffers: FakeBuffer[] = [];
  let writes = 0;
  const device: GpuDeviceLike = {
    limits: { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: maxBindingBytes },
    createBuffer: ({ size }) => {
      expect(size % 16).toBe(0);
      const b = new FakeBuffer(size);
      buffers.push(b);
      return b;
    },
    queue: {
      writeBuffer: (buffer, offset, data, dataOffset = 0, size) => {
        writes++;
        const src = new Uint8Array(data.buffer, data.byteOffset + dataOffset, size ?? data.byteLength - dataOffset);
        (buffer as FakeBuffer).bytes.set(src, offset);
      },
    },
  };
  // A CPU tensor over the buffer's bytes stands in for Tensor.fromGpuBuffer.
  const tensorOf = (buffer: GpuBufferLike, dataType: 'float32' | 'float16', dims: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const b = (buffer as FakeBuffer).bytes;
    return dataType === 'float32'
      ? new ort.Tensor('float32', new Float32Array(b.buffer.slice(0, n * 4)), dims)
      : new ort.Tensor('float16', new Uint16Array(b.buffer.slice(0, n * 2)), dims);
  };
  return { device, tensorOf, buffers, writes: () => writes };
}

let loaded: LoadedModel;
beforeAll(async () => {
  useNativeOrt();
  loaded = await loadModelFromFiles(await stories260KLayouts['safetensors checkpoint']());
});

const ids = [1, 400, 17, 300, 511, 0, 64, 128];

const feeds = () => decoderFeeds(loaded.spec, ids);

async function runOnCpu(model: OnnxModel, feeds: Record<string, ort.Tensor>, output: string, bound: Record<string, ort.Tensor> = {}): Promise<Float32Array> {
  const session = await createSessionFromModel(model, { backend: 'cpu' });
  const out = await session.run({ ...feeds, ...bound });
  const data = await readFloat32(out[output] as ort.Tensor);
  await session.release();
  return data;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('DeviceWeights', () => {
  it('uploads each weight once for every purpose; bound graphs hold no weight bytes and compute the same logits and NLL', async () => {
    const fake = fakeDevice(1 << 30);
    const pool = new DeviceWeights(fake.device, fake.tensorOf);
    const graphs = {
      logits: buildModelProto(loaded.spec, { purpose: 'decoder' }),
      decode: buildModelProto(loaded.spec, { purpose: 'decoder', lastLogitsOnly: true }),
      nll: buildModelProto(loaded.spec, { purpose: 'nll' }),
    };
    const bound = {} as Record<keyof typeof graphs, Awaited<ReturnType<DeviceWeights['bind']>>>;
    for (const [k, g] of Object.entries(graphs) as [keyof typeof graphs, OnnxModel][]) bound[k] = await pool.bind(g);
    const large = graphs.logits.initializers.filter((t) => tensorByteLength(t) >= MIN_DEVICE_WEIGHT_BYTES && t.dataType === TensorType.float);
    expect(large.length).toBeGreaterThan(0);
    const expectedBytes = large.reduce((n, t) => n + tensorByteLength(t), 0);
    expect(pool.bytesHeld).toBe(expectedBytes);
    expect(pool.bytesUploaded).toBe(expectedBytes); // not once per purpose
    expect(fake.buffers.length).toBe(large.length);
    for (const b of Object.values(bound)) {
      for (const t of b.model.initializers) expect(tensorByteLength(t), t.name).toBeLessThan(MIN_DEVICE_WEIGHT_BYTES);
      expect(Object.keys(b.feeds).sort()).toEqual(b.model.inputs.filter((i) => i.name in b.feeds).map((i) => i.name).sort());
    }

    const want = await runOnCpu(graphs.logits, feeds(), 'logits');
    expect(maxAbsDiff(want, await runOnCpu(bound.logits.model, feeds(), 'logits', bound.logits.feeds))).toBe(0);
    const windowIds = { input_ids: int64Tensor(ids, [1, ids.length]) };
    const nll = await runOnCpu(graphs.nll, windowIds, 'nll');
    expect(maxAbsDiff(nll, await runOnCpu(bound.nll.model, windowIds, 'nll', bound.nll.feeds))).toBe(0);

    pool.dispose();
    expect(fake.buffers.every((b) => b.destroyed)).toBe(true);
    expect(pool.bytesHeld).toBe(0);
  });

  it('splits weights over the device binding limit before binding them (fp32 and fp16)', async () => {
    for (const precision of ['fp32', 'fp16'] as const) {
      const limit = precision === 'fp32' ? 96 * 1024 : 48 * 1024; // below the 128 KiB (fp16 64 KiB) embedding
      const fake = fakeDevice(limit);
      const pool = new DeviceWeights(fake.device, fake.tensorOf);
      const graph = buildModelProto(loaded.spec, { purpose: 'decoder', precision });
      const b = await pool.bind(buildModelProto(loaded.spec, { purpose: 'decoder', precision }));
      expect(fake.buffers.every((x) => x.size <= limit)).toBe(true);
      const names = [...Object.keys(b.feeds), ...b.model.initializers.map((t) => t.name)]; // small parts stay initializers
      expect(names).toContain('model.embed_tokens.weight.part1');
      expect(names).not.toContain('model.embed_tokens.weight');
      const diff = maxAbsDiff(await runOnCpu(graph, feeds(), 'logits'), await runOnCpu(b.model, feeds(), 'logits', b.feeds));
      expect(diff, precision).toBeLessThan(precision === 'fp32' ? 1e-4 : 1e-2);
    }
  });

  it('refuses a weight bound under one name with two shapes', async () => {
    const fake = fakeDevice(1 << 30);
    const pool = new DeviceWeights(fake.device, fake.tensorOf);
    const graph = buildModelProto(loaded.spec, { purpose: 'decoder' });
    await pool.bind(graph);
    const t = graph.initializers.find((x) => x.name === 'model.embed_tokens.weight')!;
    const other = { ...graph, initializers: [{ name: t.name, dataType: t.dataType, dims: [t.dims[1], t.dims[0]], data: new Float32Array(t.dims[0] * t.dims[1]) }] };
    await expect(pool.bind(other)).rejects.toThrow(/model\.embed_tokens\.weight/);
  });
});
