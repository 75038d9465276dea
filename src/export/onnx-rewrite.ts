// Rewrites of a built decoder graph (graph/onnx-writer OnnxModel) for the transformers.js dtype variants:
// fp16 weights (Cast to fp32 compute, fp16 KV cache I/O) and 4-bit MatMulNBits linears. Pure: no runtime.

import { TensorType, type OnnxModel, type OnnxNode, type OnnxTensor } from '../graph/onnx-writer';
import { float32ToFloat16 } from './safetensors-writer';

/** Float initializers that hold model weights (not rope tables or scalar constants like 1e9). */
const WEIGHT_NAME = /\.(weight|weight_T|bias)$/;

/** Every use of value `from` as a node input now reads `to`. */
function renameUses(nodes: OnnxNode[], from: string, to: string): void {
  for (const n of nodes) n.inputs = n.inputs.map((x) => (x === from ? to : x));
}

/**
 * fp16 variant: weight initializers are stored as float16 and Cast to float32 where they are used
 * (onnxruntime folds the Casts at session creation, so compute stays fp32 and the perplexity change
 * is only the weights' rounding); `past_key_values.*` inputs and `present.*` outputs are float16, as
 * in Optimum fp16 exports (transformers.js allocates the empty cache from the inputs' declared type).
 * Logits stay float32.
 */
export function toFloat16(model: OnnxModel): OnnxModel {
  const nodes = model.nodes.map((n) => ({ ...n }));
  const casts: OnnxNode[] = [];
  const initializers = model.initializers.map((t): OnnxTensor => {
    if (t.dataType !== TensorType.float || !WEIGHT_NAME.test(t.name)) return t;
    const f32 = t.data as Float32Array;
    const half = new Uint16Array(f32.length);
    for (let i = 0; i < f32.length; i++) half[i] = float32ToFloat16(f32[i]);
    const asFloat = `${t.name}_fp32`;
    renameUses(nodes, t.name, asFloat);
    casts.push({ opType: 'Cast', name: `/weights/${t.name}/Cast`, inputs: [t.name], outputs: [asFloat], attributes: { to: { kind: 'int', value: TensorType.float } } });
    return { name: t.name, dims: t.dims, dataType: TensorType.float16, data: half };
  });
  const inputs = model.inputs.map((v) => {
    if (!v.name.startsWith('past_key_values.')) return v;
    const asFloat = `${v.name}_fp32`;
    renameUses(nodes, v.name, asFloat);
    casts.push({ opType: 'Cast', name: `/cache/${v.name}/Cast`, inputs: [v.name], outputs: [asFloat], attributes: { to: { kind: 'int', value: TensorType.float } } });
    return { ...v, elemType: TensorType.float16 };
  });
  const outputs = model.outputs.map((v) => {
    if (!v.name.startsWith('present.')) return v;
    const asFloat = `${v.name}_fp32`;
    for (const n of nodes) n.outputs = n.outputs.map((x) => (x === v.name ? asFloat : x));
    renameUses(nodes, v.name, asFloat);
    casts.push({ opType: 'Cast', name: `/cache/${v.name}/Cast`, inputs: [asFloat], outputs: [v.name], attributes: { to: { kind: 'int', value: TensorType.float16 } } });
    return { ...v, elemType: TensorType.float16 };
  });
  // Node order must stay topological: input/weight Casts first; present Casts read values made later.
  const first = casts.filter((c) => !c.name.startsWith('/cache/present.'));
  const last = casts.filter((c) => c.name.startsWith('/cache/present.'));
  return { ...model, nodes: [...first, ...nodes, ...last], initializers, inputs, outputs };
}

export interface Quantized4 {
  /** uint8 [N, ceil(K/block), block/2]: per output row, per block, two 4-bit values a byte, low nibble first. */
  packed: Uint8Array;
  /** float32 [N · ceil(K/block)]. */
  scales: Float32Array;
}

/**
 * Symmetric blockwise 4-bit quantization of Wᵀ [K, N] (MatMul layout) along K, zero point 8 (the
 * MatMulNBits default, so no zero_points input): the entry of largest magnitude in a block maps to
 * −8 exactly (scale = that entry / −8), as onnxruntime's MatMul4BitsQuantizer does when symmetric.
 * A partial last block is padded with zeros (code 8).
 */
export function quantize4(wT: Float32Array, k: number, n: number, blockSize: number): Quantized4 {
  const blocks = Math.ceil(k / blockSize);
  const blobBytes = blockSize / 2;
  const packed = new Uint8Array(n * blocks * blobBytes).fill(0x88);
  const scales = new Float32Array(n * blocks);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const kStart = b * blockSize;
      const kEnd = Math.min(k, kStart + blockSize);
      let extreme = 0;
      for (let kk = kStart; kk < kEnd; kk++) {
        const v = wT[kk * n + col];
        if (Math.abs(v) > Math.abs(extreme)) extreme = v;
      }
      const scale = Math.fround(extreme / -8);
      scales[col * blocks + b] = scale;
      const blobStart = (col * blocks + b) * blobBytes;
      for (let kk = kStart; kk < kEnd; kk++) {
        const q = scale === 0 ? 8 : Math.min(15, Math.max(0, Math.round(wT[kk * n + col] / scale) + 8));
        const j = kk - kStart;
        const at = blobStart + (j >> 1);
        packed[at] = j & 1 ? (packed[at] & 0x0f) | (q << 4) : (packed[at] & 0xf0) | q;
      }
    }
  }
  return { packed, scales };
}

export interface Nbits4Options {
  blockSize: number;
  /** Weight prefixes (e.g. 'lm_head') whose MatMul stays float32. */
  keepFloat: (weightPrefix: string) => boolean;
}

/**
 * q4 variant: every MatMul whose weight is an initializer `<prefix>.weight_T` [K, N] becomes
 * com.microsoft MatMulNBits (bits 4, symmetric, no zero points) named `<node>_Q4`, with initializers
 * `<prefix>.weight_Q4` and `<prefix>.weight_scales` — the layout of onnxruntime-genai's q4 graphs.
 */
export function toMatMulNBits(model: OnnxModel, options: Nbits4Options): OnnxModel {
  const byName = new Map(model.initializers.map((t) => [t.name, t]));
  const replaced = new Set<string>();
  const added: OnnxTensor[] = [];
  const nodes = model.nodes.map((node): OnnxNode => {
    const w = node.opType === 'MatMul' ? byName.get(node.inputs[1]) : undefined;
    if (!w || w.dims.length !== 2 || w.dataType !== TensorType.float || !w.name.endsWith('.weight_T')) return node;
    const prefix = w.name.slice(0, -'.weight_T'.length);
    if (options.keepFloat(prefix)) return node;
    const [k, n] = w.dims;
    const { packed, scales } = quantize4(w.data as Float32Array, k, n, options.blockSize);
    const blocks = Math.ceil(k / options.blockSize);
    added.push(
      { name: `${prefix}.weight_Q4`, dataType: TensorType.uint8, dims: [n, blocks, options.blockSize / 2], data: packed },
      { name: `${prefix}.weight_scales`, dataType: TensorType.float, dims: [n * blocks], data: scales },
    );
    replaced.add(w.name);
    const int = (value: number) => ({ kind: 'int' as const, value });
    return {
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      name: `${node.name}_Q4`,
      inputs: [node.inputs[0], `${prefix}.weight_Q4`, `${prefix}.weight_scales`],
      outputs: node.outputs,
      attributes: { K: int(k), N: int(n), bits: int(4), block_size: int(options.blockSize) },
    };
  });
  const initializers = [...model.initializers.filter((t) => !replaced.has(t.name)), ...added];
  const opsets = model.opsets.some((o) => o.domain === 'com.microsoft') ? model.opsets : [...model.opsets, { domain: 'com.microsoft', version: 1 }];
  return { ...model, opsets, nodes, initializers };
}
