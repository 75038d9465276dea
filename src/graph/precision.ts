// fp16 compute as a rewrite pass over the graph IR: weight matrices are stored as float16 and the
// matrix products that use them run in float16 (their other inputs Cast to float16, their outputs Cast
// back to float32). Everything else stays float32: norms, softmax, RoPE, residual stream, logits' log-
// softmax. Halves the weights on the device. Runtimes without float16 kernels (onnxruntime-web wasm)
// must not get it. Pure: imports only the writer and formats/dtype.

import { float32ToFloat16Array } from '../formats/dtype';
import { lazyTensor, TensorType, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-writer';

export type ComputePrecision = 'fp32' | 'fp16';

interface Use {
  node: OnnxNode;
  input: number;
}

/**
 * A weight is converted when every use is a matrix product's B (MatMul/Gemm input 1) or the token
 * embedding lookup (Gather on `input_ids`); RoPE and position tables (Gathers on positions) stay fp32.
 */
function convertible(t: OnnxTensor, uses: Use[]): boolean {
  if (t.dataType !== TensorType.float || t.dims.length !== 2 || uses.length === 0) return false;
  return uses.every(
    (u) =>
      ((u.node.opType === 'MatMul' || u.node.opType === 'Gemm') && u.input === 1) ||
      (u.node.opType === 'Gather' && u.input === 0 && u.node.inputs[1] === 'input_ids'),
  );
}

export function toFp16Compute(model: OnnxModel): OnnxModel {
  const uses = new Map<string, Use[]>();
  for (const node of model.nodes)
    node.inputs.forEach((name, input) => {
      const list = uses.get(name) ?? [];
      list.push({ node, input });
      uses.set(name, list);
    });
  const half = new Set<string>();
  const initializers = model.initializers.map((t) => {
    if (!convertible(t, uses.get(t.name) ?? [])) return t;
    half.add(t.name);
    const source = t;
    return lazyTensor(t.name, TensorType.float16, t.dims, () => float32ToFloat16Array(source.data as Float32Array));
  });
  if (half.size === 0) return model;

  const nodes: OnnxNode[] = [];
  const castCache = new Map<string, string>(); // float32 value → its float16 Cast
  const toHalf = (value: string): string => {
    let name = castCache.get(value);
    if (!name) {
      name = `${value}_fp16`;
      nodes.push({ opType: 'Cast', name: `${name}/Cast`, inputs: [value], outputs: [name], attributes: { to: { kind: 'int', value: TensorType.float16 } } });
      castCache.set(value, name);
    }
    return name;
  };
  for (const node of model.nodes) {
    const weightAt = node.inputs.findIndex((x) => half.has(x));
    if (weightAt < 0) {
      nodes.push(node);
      continue;
    }
    const inputs = node.inputs.map((x, i) => (node.opType === 'Gather' || i === weightAt || !x ? x : toHalf(x)));
    const [out] = node.outputs;
    nodes.push({ ...node, inputs, outputs: [`${out}_fp16out`] });
    nodes.push({ opType: 'Cast', name: `${node.name}/CastFp32`, inputs: [`${out}_fp16out`], outputs: [out], attributes: { to: { kind: 'int', value: TensorType.float } } });
  }
  return { ...model, nodes, initializers };
}
