// Split weights larger than one GPU binding (WebGPU's maxStorageBufferBindingSize: a kernel can bind
// no bigger tensor) into row or column chunks, as a rewrite pass over the graph IR. Uses it knows:
//   Gather(W[V,h], ids, axis 0)  → Σ_c Gather(W_c, clip(ids − start_c)) · [start_c ≤ ids < end_c]
//   Gemm(x, W[V,h], transB=1)    → Concat_c Gemm(x, W_c, transB=1) on axis 1 (the tied lm_head)
//   MatMul(x, W[K,N])            → Concat_c MatMul(x, W[:, cols_c]) on the last axis
// Exact: each chunk's product is a column block of the whole product; the Gather sum adds one
// chunk's row and zeros. A weight with any other use cannot be split (error). Pure: imports the writer.

import { lazyTensor, tensorByteLength, TensorType, type OnnxModel, type OnnxNode, type OnnxTensor, type TensorData } from './onnx-writer';

export class UnsplittableWeightError extends Error {}

interface Use {
  node: OnnxNode;
  input: number;
}

/** Row ranges [start, end) of at most `maxBytes` each for `rows` rows of `rowBytes`. */
function chunkRanges(rows: number, rowBytes: number, maxBytes: number): [number, number][] {
  const per = Math.max(1, Math.floor(maxBytes / rowBytes));
  const ranges: [number, number][] = [];
  for (let start = 0; start < rows; start += per) ranges.push([start, Math.min(rows, start + per)]);
  return ranges;
}

function sliceRows(t: OnnxTensor, [start, end]: [number, number], name: string): OnnxTensor {
  const width = t.dims[1];
  return lazyTensor(name, t.dataType, [end - start, width], () => t.data.slice(start * width, end * width) as TensorData);
}

function sliceColumns(t: OnnxTensor, [start, end]: [number, number], name: string): OnnxTensor {
  const [rows, width] = t.dims;
  const w = end - start;
  return lazyTensor(name, t.dataType, [rows, w], () => {
    const all = t.data;
    const out = new (all.constructor as new (n: number) => TensorData)(rows * w);
    for (let r = 0; r < rows; r++) (out as Float32Array).set((all as Float32Array).subarray(r * width + start, r * width + end), r * w);
    return out;
  });
}

/**
 * The model with every 2-D initializer over `maxBytes` split into chunks of at most `maxBytes`
 * (`<name>.part<c>`). Returns the model unchanged when nothing is too large.
 */
export function splitOversizedWeights(model: OnnxModel, maxBytes: number): OnnxModel {
  const oversized = model.initializers.filter((t) => tensorByteLength(t) > maxBytes);
  if (oversized.length === 0) return model;
  const uses = new Map<string, Use[]>();
  model.nodes.forEach((node) => node.inputs.forEach((name, input) => uses.set(name, [...(uses.get(name) ?? []), { node, input }])));

  const replaced = new Map<OnnxNode, OnnxNode[]>();
  const added: OnnxTensor[] = [];
  const constants: OnnxTensor[] = [];
  const int64 = (name: string, values: number[]) => {
    constants.push({ name, dataType: TensorType.int64, dims: values.length === 1 ? [] : [values.length], data: BigInt64Array.from(values, BigInt) });
    return name;
  };
  for (const t of oversized) {
    if (t.dims.length !== 2) throw new UnsplittableWeightError(`${t.name}: a ${t.dims.length}-D weight of ${tensorByteLength(t)} bytes cannot be split`);
    const rowBytes = tensorByteLength({ dataType: t.dataType, dims: [1, t.dims[1]] });
    const rowParts = chunkRanges(t.dims[0], rowBytes, maxBytes).map((range, c) => ({ range, tensor: sliceRows(t, range, `${t.name}.part${c}`) }));
    const colBytes = tensorByteLength({ dataType: t.dataType, dims: [t.dims[0], 1] });
    let colParts: { range: [number, number]; tensor: OnnxTensor }[] | null = null;
    let usedRows = false;
    for (const { node, input } of uses.get(t.name) ?? []) {
      const p = `${node.name}/split`;
      const [out] = node.outputs;
      const attr = (key: string) => node.attributes?.[key];
      if (node.opType === 'Gather' && input === 0 && ((attr('axis')?.value as number | undefined) ?? 0) === 0) {
        usedRows = true;
        const ids = node.inputs[1];
        const terms = rowParts.map(({ range: [start, end], tensor }, c): OnnxNode[] => {
          const local = `${p}/ids${c}`;
          const inside = `${p}/inside${c}`;
          return [
            { opType: 'Sub', name: `${p}/Sub${c}`, inputs: [ids, int64(`${p}/start${c}`, [start])], outputs: [`${local}_raw`] },
            { opType: 'Clip', name: `${p}/Clip${c}`, inputs: [`${local}_raw`, int64(`${p}/min${c}`, [0]), int64(`${p}/max${c}`, [end - start - 1])], outputs: [local] },
            { opType: 'Gather', name: `${p}/Gather${c}`, inputs: [tensor.name, local], outputs: [`${p}/rows${c}`], attributes: { axis: { kind: 'int' as const, value: 0 } } },
            { opType: 'Equal', name: `${p}/Equal${c}`, inputs: [`${local}_raw`, local], outputs: [`${inside}_bool`] },
            { opType: 'Cast', name: `${p}/Cast${c}`, inputs: [`${inside}_bool`], outputs: [`${inside}_cast`], attributes: { to: { kind: 'int' as const, value: t.dataType } } },
            { opType: 'Unsqueeze', name: `${p}/Unsqueeze${c}`, inputs: [`${inside}_cast`, int64(`${p}/axes${c}`, [-1])], outputs: [inside] },
            { opType: 'Mul', name: `${p}/Mul${c}`, inputs: [`${p}/rows${c}`, inside], outputs: [`${p}/term${c}`] },
          ];
        });
        const sum: OnnxNode = { opType: 'Sum', name: `${p}/Sum`, inputs: terms.map((_, c) => `${p}/term${c}`), outputs: [out] };
        replaced.set(node, [...terms.flat(), sum]);
      } else if (node.opType === 'Gemm' && input === 1 && attr('transB')?.value === 1 && !attr('transA')?.value) {
        usedRows = true;
        const [a, , bias] = node.inputs;
        if (bias) throw new UnsplittableWeightError(`${t.name}: Gemm with a bias cannot be split`);
        const parts = rowParts.map(({ tensor }, c) => ({ ...node, name: `${p}/Gemm${c}`, inputs: [a, tensor.name], outputs: [`${p}/out${c}`] }));
        replaced.set(node, [...parts, { opType: 'Concat', name: `${p}/Concat`, inputs: parts.map((g) => g.outputs[0]), outputs: [out], attributes: { axis: { kind: 'int', value: 1 } } }]);
      } else if (node.opType === 'MatMul' && input === 1) {
        colParts ??= chunkRanges(t.dims[1], colBytes, maxBytes).map((range, c) => ({ range, tensor: sliceColumns(t, range, `${t.name}.cols${c}`) }));
        const parts = colParts.map(({ tensor }, c) => ({ ...node, name: `${p}/MatMul${c}`, inputs: [node.inputs[0], tensor.name], outputs: [`${p}/out${c}`] }));
        replaced.set(node, [...parts, { opType: 'Concat', name: `${p}/Concat`, inputs: parts.map((m) => m.outputs[0]), outputs: [out], attributes: { axis: { kind: 'int', value: -1 } } }]);
      } else {
        throw new UnsplittableWeightError(`${t.name} (${tensorByteLength(t)} bytes) is used by ${node.opType} input ${input}, which cannot be split into chunks of ${maxBytes} bytes`);
      }
    }
    if (usedRows) added.push(...rowParts.map((r) => r.tensor));
    if (colParts) added.push(...colParts.map((r) => r.tensor));
  }
  const gone = new Set(oversized.map((t) => t.name));
  return {
    ...model,
    nodes: model.nodes.flatMap((n) => replaced.get(n) ?? [n]),
    initializers: [...model.initializers.filter((t) => !gone.has(t.name)), ...added, ...constants],
  };
}
