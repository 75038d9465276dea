// A float32 graph rewritten to float64 (inputs, initializers, Casts, ConstantOfShape values, outputs):
// the oracle for gradient checks, run by onnxruntime-node's cpu provider.

import { lazyTensor, TensorType, type OnnxAttributeValue, type OnnxModel, type OnnxNode } from '../../src/graph/onnx-writer';

export function toFloat64(model: OnnxModel): OnnxModel {
  const F = TensorType.float;
  const D = TensorType.double;
  const nodes: OnnxNode[] = model.nodes.map((n) => {
    const attributes: Record<string, OnnxAttributeValue> = { ...(n.attributes ?? {}) };
    const to = attributes.to;
    if (n.opType === 'Cast' && to?.kind === 'int' && to.value === F) attributes.to = { kind: 'int', value: D };
    const value = attributes.value;
    if (n.opType === 'ConstantOfShape' && value?.kind === 'tensor' && value.value.dataType === F)
      attributes.value = { kind: 'tensor', value: { ...value.value, dataType: D, data: Float64Array.from(value.value.data as Float32Array) } };
    return { ...n, attributes };
  });
  return {
    ...model,
    nodes,
    initializers: model.initializers.map((t) => (t.dataType === F ? lazyTensor(t.name, D, t.dims, () => Float64Array.from(t.data as Float32Array)) : t)),
    inputs: model.inputs.map((i) => (i.elemType === F ? { ...i, elemType: D } : i)),
    outputs: model.outputs.map((o) => (o.elemType === F ? { ...o, elemType: D } : o)),
  };
}
