// The WebGPU decode cache (runtime/kv-cache DeviceFixedKvCache) on a fake device whose buffers are byte
// arrays: past and present are the same buffer, growth copies each head's held tokens to its new place
// (layout [1, kvHeads, capacity, headDim] float32), the old buffers are destroyed, an out-of-memory error
// scope becomes 'insufficient-memory' with nothing left allocated.

import { describe, expect, it } from 'vitest';
import { DeviceFixedKvCache, MIN_KV_CAPACITY, type KvDevice } from '../../src/runtime/kv-cache';
import type { GpuBufferLike } from '../../src/runtime/device-weights';
import type { ort } from '../../src/runtime/ort';

interface FakeBuffer extends GpuBufferLike {
  bytes: Uint8Array;
  destroyed: boolean;
}

function fakeDevice(options: { oomAtBytes?: number } = {}) {
  const buffers: FakeBuffer[] = [];
  let scope: string[] | null = null;
  const device: KvDevice = {
    limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
    createBuffer({ size }) {
      if (options.oomAtBytes !== undefined && size >= options.oomAtBytes) scope?.push(`could not allocate ${size} bytes`);
      const buffer: FakeBuffer = { size, bytes: new Uint8Array(size), destroyed: false, destroy: () => (buffer.destroyed = true) };
      buffers.push(buffer);
      return buffer;
    },
    queue: {
      writeBuffer() {},
      submit(commands) {
        for (const run of commands as (() => void)[]) run();
      },
    },
    createCommandEncoder() {
      const copies: (() => void)[] = [];
      return {
        copyBufferToBuffer(src, srcOffset, dst, dstOffset, size) {
          copies.push(() => (dst as FakeBuffer).bytes.set((src as FakeBuffer).bytes.subarray(srcOffset, srcOffset + size), dstOffset));
        },
        finish: () => () => copies.forEach((c) => c()),
      };
    },
    pushErrorScope() {
      scope = [];
    },
    popErrorScope: async () => {
      const errors = scope ?? [];
      scope = null;
      return errors.length > 0 ? { message: errors[0] } : null;
    },
  };
  return { device, buffers };
}

type FakeTensor = { buffer: FakeBuffer; dims: number[] };
const tensorOf = (buffer: GpuBufferLike, dims: number[]) => ({ buffer, dims }) as unknown as ort.Tensor;
const floats = (t: ort.Tensor) => new Float32Array((t as unknown as FakeTensor).buffer.bytes.buffer);
const layers = [{ numKvHeads: 2, headDim: 8 }, { numKvHeads: 1, headDim: 8 }];

describe('DeviceFixedKvCache (WebGPU decode cache) on a fake device', () => {
  it('feeds and binds the same buffer; growth keeps every head\'s tokens at their new offsets and destroys the old buffers', async () => {
    const { device, buffers } = fakeDevice();
    const cache = new DeviceFixedKvCache(layers, 2048, async () => device, tensorOf);
    const first = await cache.prepare(10);
    expect(cache.capacity).toBe(MIN_KV_CAPACITY);
    expect(Object.keys(first.feeds).sort()).toEqual(['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
    for (const name of Object.keys(first.feeds)) expect(first.fetches[name.replace('past_key_values', 'present')]).toBe(first.feeds[name]);
    expect((first.feeds['past_key_values.0.key'] as unknown as FakeTensor).dims).toEqual([1, 2, MIN_KV_CAPACITY, 8]);
    expect(cache.bytesAllocated).toBe((2 * 2 + 2 * 1) * MIN_KV_CAPACITY * 8 * 4);

    // What GroupQueryAttention would have written: token t of head h holds 1000·h + t in every dim (10 tokens held).
    const held = 10;
    for (const t of Object.values(first.feeds)) {
      const [, KV, cap, hd] = (t as unknown as FakeTensor).dims;
      const f = floats(t);
      for (let h = 0; h < KV; h++) for (let tok = 0; tok < held; tok++) f.fill(1000 * h + tok, (h * cap + tok) * hd, (h * cap + tok + 1) * hd);
    }
    cache.commit({}, held);
    expect(cache.length).toBe(held);
    const before = buffers.length;

    // A prompt that needs 300 tokens: capacity doubles, the 10 held tokens move with each head.
    const grown = await cache.prepare(300);
    expect(cache.capacity).toBe(2 * MIN_KV_CAPACITY);
    expect(buffers.slice(0, before).every((b) => b.destroyed)).toBe(true);
    expect(buffers.slice(before).some((b) => b.destroyed)).toBe(false);
    for (const t of Object.values(grown.feeds)) {
      const [, KV, cap, hd] = (t as unknown as FakeTensor).dims;
      expect(cap).toBe(2 * MIN_KV_CAPACITY);
      const f = floats(t);
      for (let h = 0; h < KV; h++) {
        for (let tok = 0; tok < held; tok++) expect(f[(h * cap + tok) * hd + hd - 1], `head ${h} token ${tok}`).toBe(1000 * h + tok);
        expect(f[(h * cap + held) * hd]).toBe(0); // nothing past what was held
      }
    }

    // Within capacity: the same buffers; reset keeps them for the next prompt; dispose frees them.
    expect((await cache.prepare(400)).feeds['past_key_values.1.value']).toBe(grown.feeds['past_key_values.1.value']);
    cache.reset();
    expect(cache.length).toBe(0);
    expect(cache.capacity).toBe(2 * MIN_KV_CAPACITY);
    cache.dispose();
    expect(buffers.every((b) => b.destroyed)).toBe(true);
    expect(cache.bytesAllocated).toBe(0);
  });

  it('never grows past the context, and refuses a length beyond it', async () => {
    const { device } = fakeDevice();
    const cache = new DeviceFixedKvCache(layers, 300, async () => device, tensorOf);
    await cache.reserve(290);
    expect(cache.capacity).toBe(300);
    await expect(cache.prepare(301)).rejects.toThrow(/exceed the model's context of 300/);
  });

  it('an out-of-memory error scope: insufficient-memory naming the size, the new buffers destroyed, the old ones kept', async () => {
    const { device, buffers } = fakeDevice({ oomAtBytes: 2 * 512 * 8 * 4 });
    const cache = new DeviceFixedKvCache(layers, 4096, async () => device, tensorOf);
    await cache.prepare(100); // 256 tokens: below the fake limit
    cache.commit({}, 100);
    const kept = buffers.length;
    await expect(cache.prepare(400)).rejects.toMatchObject({ code: 'insufficient-memory', message: expect.stringMatching(/KV cache of 512 tokens \(0\.1 MiB\)/) });
    expect(buffers.slice(kept).every((b) => b.destroyed)).toBe(true);
    expect(buffers.slice(0, kept).some((b) => b.destroyed)).toBe(false);
    expect(cache.capacity).toBe(MIN_KV_CAPACITY);
  });
});
