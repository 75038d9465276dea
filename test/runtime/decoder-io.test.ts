// The decoder graph's Optimum I/O contract: batched, left-padded rows via attention_mask and
// position_ids give the same logits as each row alone; backend detection under Node.
import { describe, expect, it } from 'vitest';
import { buildModelGraph } from '../../src/graph/build-graph';
import { createSession, detectBackend, int64Tensor, isSoftwareAdapter, ort } from '../../src/runtime/ort';
import { referenceLogits, tinySpec } from '../oracles/reference-forward';

describe('decoder graph I/O', () => {
  const spec = tinySpec({ family: 'llama', seed: 11, layers: [{ numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 16 }, { numHeads: 2, numKvHeads: 1, headDim: 6, intermediateSize: 10 }] });
  it('left padding is masked and positions follow position_ids', async () => {
    const session = await createSession(buildModelGraph(spec, { purpose: 'decoder' }), { backend: 'wasm' });
    expect(session.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(session.outputNames).toContain('present.1.value');
    const a = [1, 7, 3, 9, 12, 5];
    const b = [4, 8, 2]; // left-padded with 3 pad tokens (id 0)
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64Tensor([...a, 0, 0, 0, ...b], [2, 6]),
      attention_mask: int64Tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1], [2, 6]),
      position_ids: int64Tensor([0, 1, 2, 3, 4, 5, 1, 1, 1, 0, 1, 2], [2, 6]),
    };
    spec.layers.forEach((l, i) => { for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [2, l.numKvHeads, 0, l.headDim]); });
    const out = await session.run(feeds);
    const logits = out.logits.data as Float32Array;
    const V = spec.config.vocabSize;
    const refA = referenceLogits(spec, a);
    const refB = referenceLogits(spec, b);
    let diff = 0;
    for (let i = 0; i < 6 * V; i++) diff = Math.max(diff, Math.abs(logits[i] - refA[i]));
    for (let i = 0; i < 3 * V; i++) diff = Math.max(diff, Math.abs(logits[(6 + 3) * V + i] - refB[i]));
    expect(diff).toBeLessThan(1e-4);
    expect((out['present.0.key'] as ort.Tensor).dims).toEqual([2, 2, 6, 4]);
    await session.release();
  });
});

describe('backend detection', () => {
  it('falls back to wasm under Node with a reason', async () => {
    const info = await detectBackend(true);
    expect(info.backend).toBe('wasm');
    expect(info.fallbackReason).toMatch(/Node/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });
  it('flags SwiftShader and CPU adapters as software', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ada', device: '', description: 'NVIDIA GeForce RTX 4090' })).toBe(false);
  });
});
