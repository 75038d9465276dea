// The block graph's I/O contract (weights are inputs, not initializers; outputs per stats kind),
// session keys by shape, and the gated-nll purpose's extra input. Numerics are tested in
// test/runtime/calibration-runner.test.ts.
import { describe, expect, it } from 'vitest';
import { readOnnxModel } from '../../src/formats/onnx-reader';
import type { OnnxModel } from '../../src/formats/onnx-types';
import { blockSessionKey, blockShape, blockStatGroups, blockWeightInputs, buildBlockGraph, buildModelGraph } from '../../src/graph/build-graph';
import { blockLinearNames } from '../../src/model/model-spec';
import { tinySpec } from '../oracles/reference-forward';

const llama = tinySpec({
  family: 'llama', qkvBias: true, seed: 4,
  layers: [
    { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 },
    { numHeads: 2, numKvHeads: 2, headDim: 8, intermediateSize: 24 },
    { numHeads: 4, numKvHeads: 2, headDim: 4, intermediateSize: 24 },
  ],
});
const gpt2 = tinySpec({ family: 'gpt2', seed: 6, layers: [{ numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 64 }, { numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: 64 }] });

const read = (bytes: Uint8Array, path: string): Promise<OnnxModel> => readOnnxModel({ path, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) });

describe('block shapes and session keys', () => {
  it('equal shapes share a key; shape, stats kind and cosine change it', () => {
    const key = (i: number, stats: 'none' | 'norms' | 'gram' = 'norms', cosine = false) => blockSessionKey(blockShape(llama, i), { stats, cosine });
    expect(key(0)).toBe(key(2));
    expect(key(0)).not.toBe(key(1));
    expect(key(0, 'gram')).not.toBe(key(0, 'norms'));
    expect(key(0, 'none', true)).not.toBe(key(0, 'none'));
    const otherEps = { ...llama, config: { ...llama.config, normEps: 1e-6 } };
    expect(blockSessionKey(blockShape(otherEps, 0), { stats: 'norms' })).not.toBe(key(0));
  });

  it.each([['llama', llama], ['gpt2', gpt2]] as const)('%s: weight inputs cover every linear with its spec shape; stat groups cover each linear once', (_, spec) => {
    for (let i = 0; i < spec.layers.length; i++) {
      const inputs = blockWeightInputs(spec, i);
      for (const input of inputs) expect(input.dims, input.weight).toEqual(spec.weights.get(input.weight)!.shape);
      const fed = new Set(inputs.map((x) => x.weight));
      for (const name of blockLinearNames(spec, i)) expect(fed.has(name), name).toBe(true);
      const grouped = blockStatGroups(spec, i).flatMap((g) => g.weights);
      expect([...grouped].sort()).toEqual([...blockLinearNames(spec, i)].sort());
      for (const g of blockStatGroups(spec, i)) for (const name of g.weights) expect(spec.weights.get(name)!.shape[1]).toBe(g.channels);
    }
  });
});

describe('block graph I/O', () => {
  it.each([['llama', llama], ['gpt2', gpt2]] as const)('%s: weights are inputs; outputs follow the stats kind', async (_, spec) => {
    const shape = blockShape(spec, 0);
    const none = await read(buildBlockGraph(shape, { stats: 'none' }), 'none.onnx');
    expect(none.inputs.map((v) => v.name)).toEqual(['hidden', ...blockWeightInputs(spec, 0).map((x) => x.input)]);
    expect(none.outputs.map((v) => v.name)).toEqual(['hidden_out']);
    // No weight is baked in: the initializers are only constants and (llama) the RoPE tables.
    const weightValues = blockWeightInputs(spec, 0).reduce((n, x) => n + spec.weights.get(x.weight)!.data.length, 0);
    const initValues = [...none.initializers.values()].reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(initValues).toBeLessThan(spec.family === 'llama' ? 2 * 64 * shape.headDim + 64 : 64);
    expect(initValues).toBeLessThan(weightValues);
    expect(none.nodes.every((n) => n.domain === '')).toBe(true);

    const groups = blockStatGroups(spec, 0).map((g) => g.name);
    const norms = await read(buildBlockGraph(shape, { stats: 'norms' }), 'norms.onnx');
    expect(norms.outputs.map((v) => v.name)).toEqual(['hidden_out', ...groups.map((g) => `sqnorm.${g}`)]);
    const gram = await read(buildBlockGraph(shape, { stats: 'gram', cosine: true }), 'gram.onnx');
    expect(gram.outputs.map((v) => v.name)).toEqual(['hidden_out', ...groups.flatMap((g) => [`sqnorm.${g}`, `gram.${g}`]), 'token_cos']);
  });
});

describe('gated-nll purpose', () => {
  it('adds block_gates [L] to the nll inputs and keeps the nll output', async () => {
    const gated = await read(buildModelGraph(llama, { purpose: 'gated-nll' }), 'gated.onnx');
    const plain = await read(buildModelGraph(llama, { purpose: 'nll' }), 'nll.onnx');
    expect(gated.inputs.map((v) => v.name)).toEqual(['input_ids', 'block_gates']);
    expect(plain.inputs.map((v) => v.name)).toEqual(['input_ids']);
    expect(gated.outputs.map((v) => v.name)).toEqual(['nll']);
    expect(gated.inputs[1].dims).toEqual([llama.layers.length]);
    // Two residual additions per block are gated.
    expect(gated.nodes.filter((n) => n.opType === 'Mul').length - plain.nodes.filter((n) => n.opType === 'Mul').length).toBe(2 * llama.layers.length);
  });
});
