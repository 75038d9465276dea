// The protobuf encoder: decoded back by the formats reader (every field kind) and run by onnxruntime.
import { describe, expect, it } from 'vitest';
import { readOnnxModel } from '../../src/formats/onnx-reader';
import { GraphBuilder } from '../../src/graph/graph-builder';
import { encodeOnnxModel, TensorType } from '../../src/graph/onnx-writer';
import { createSession, ort } from '../../src/runtime/ort';

describe('encodeOnnxModel', () => {
  const bytes = encodeOnnxModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    producerName: 'prunelab-test',
    graphName: 'g',
    nodes: [
      {
        opType: 'Custom', name: 'n0', inputs: ['x', 'w'], outputs: ['y'], domain: 'test.domain',
        attributes: {
          i: { kind: 'int', value: -3 },
          big: { kind: 'int', value: 2 ** 40 + 5 },
          f: { kind: 'float', value: 0.25 },
          is: { kind: 'ints', value: [0, -1, 300] },
          fs: { kind: 'floats', value: [1.5, -2] },
          s: { kind: 'string', value: 'héllo' },
          t: { kind: 'tensor', value: { name: 'tv', dataType: TensorType.int32, dims: [2], data: Int32Array.of(7, -8) } },
        },
      },
    ],
    initializers: [
      { name: 'w', dataType: TensorType.float, dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      { name: 'k', dataType: TensorType.int64, dims: [2], data: BigInt64Array.of(-1n, 5n) },
    ],
    inputs: [{ name: 'x', elemType: TensorType.float, dims: ['batch', 3] }],
    outputs: [{ name: 'y', elemType: TensorType.float, dims: ['batch', 2] }],
  });

  it('decodes back to the same model', async () => {
    const m = await readOnnxModel({ path: 'onnx/model.onnx', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
    expect(m.irVersion).toBe(8);
    expect(m.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(m.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['batch', 3] }]);
    expect(m.outputs[0].dims).toEqual(['batch', 2]);
    const n = m.nodes[0];
    expect([n.opType, n.domain, n.inputs, n.outputs]).toEqual(['Custom', 'test.domain', ['x', 'w'], ['y']]);
    const a = Object.fromEntries(n.attributes.map((x) => [x.name, x]));
    expect(a.i.i).toBe(-3);
    expect(a.big.i).toBe(2 ** 40 + 5);
    expect(a.f.f).toBe(0.25);
    expect(a.is.ints).toEqual([0, -1, 300]);
    expect(a.fs.floats).toEqual([1.5, -2]);
    expect(new TextDecoder().decode(a.s.s)).toBe('héllo');
    expect(a.t.t?.dims).toEqual([2]);
    const w = m.initializers.get('w')!;
    expect(w.dims).toEqual([2, 3]);
    expect([...new Float32Array(w.rawData!.slice().buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...new BigInt64Array(m.initializers.get('k')!.rawData!.slice().buffer)]).toEqual([-1n, 5n]);
  });

  it('builds a graph onnxruntime runs (symbolic dims, int64 constants, attributes)', async () => {
    const b = new GraphBuilder('tiny');
    const x = b.input('x', TensorType.float, ['batch', 3]);
    const w = b.floatInit('w', [3, 2], Float32Array.of(1, 0, 0, 1, 1, 1));
    const y = b.op('Softmax', [b.op('MatMul', [x, w])], { axis: -1 });
    b.output(b.op('Reshape', [y, b.int64([-1])]), 'y', TensorType.float, ['n']);
    const session = await createSession(b.toBytes(), { backend: 'wasm' });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 0, 0, 0), [2, 3]) });
    const got = out.y.data as Float32Array;
    // row [1,2,3]·w = [4, 5]
    expect(got[0]).toBeCloseTo(Math.exp(4) / (Math.exp(4) + Math.exp(5)), 6);
    expect([got[2], got[3]]).toEqual([0.5, 0.5]);
    await session.release();
  });
});
