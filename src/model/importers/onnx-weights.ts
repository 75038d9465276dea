// Shared by the ONNX importers: finds weights through node names (/model/layers.{i}/.../MatMul) and
// turns them into canonical [out, in] fp32 tensors (MatMul [in, out] → transpose; MatMulNBits → dequantize).

import { LabError } from '../../errors';
import { transpose2d } from '../../formats/dtype';
import { tensorToFloat32, tensorToUint8, type OnnxWeightsSource } from '../../formats/onnx-tensor';
import { OnnxDataType, type OnnxNode, type OnnxTensor } from '../../formats/onnx-types';
import type { WeightTensor } from '../model-spec';
import { checkShape } from './expected-shapes';
import { dequantizeMatMulNBits } from './matmul-nbits';

export class OnnxWeights {
  private readonly nodesByName = new Map<string, OnnxNode>();

  constructor(readonly src: OnnxWeightsSource) {
    for (const node of src.model.nodes) this.nodesByName.set(node.name, node);
  }

  get path(): string {
    return this.src.file.path;
  }

  hasQuantizedLinears(): boolean {
    return this.src.model.nodes.some((n) => n.opType === 'MatMulNBits');
  }

  /** Nodes whose name is under `prefix` (e.g. '/model/layers.0/attn/q_proj'). */
  nodesUnder(prefix: string): OnnxNode[] {
    return this.src.model.nodes.filter((n) => n.name.startsWith(`${prefix}/`));
  }

  initializer(name: string): OnnxTensor | null {
    return this.src.model.initializers.get(name) ?? null;
  }

  async float(tensor: OnnxTensor, expected: number[]): Promise<WeightTensor> {
    checkShape(this.path, tensor.name, tensor.dims, expected);
    return { shape: [...expected], data: await tensorToFloat32(this.src, tensor) };
  }

  /**
   * The initializer behind value `name`: the initializer itself, or the one a Cast turns into it
   * (fp16 weights cast to fp32 compute, as our fp16 export writes them).
   */
  weightInitializer(name: string): OnnxTensor | null {
    const direct = this.initializer(name);
    if (direct) return direct;
    const cast = this.src.model.nodes.find((n) => n.opType === 'Cast' && n.outputs[0] === name);
    return cast ? this.initializer(cast.inputs[0]) : null;
  }

  /** The linear layer under `prefix` as [out, in]; a missing or unknown op is 'unsupported-op'. */
  async linear(prefix: string, inDim: number, outDim: number): Promise<WeightTensor> {
    const nodes = this.nodesUnder(prefix);
    const matmul = nodes.find((n) => n.opType === 'MatMul' && this.weightInitializer(n.inputs[1]));
    if (matmul) {
      const w = await this.float(this.weightInitializer(matmul.inputs[1])!, [inDim, outDim]);
      return { shape: [outDim, inDim], data: transpose2d(w.data, inDim, outDim) };
    }
    const nbits = nodes.find((n) => n.opType === 'MatMulNBits');
    if (nbits) return this.dequantize(nbits, inDim, outDim);
    const ops = nodes.map((n) => n.opType).join(', ') || 'no nodes';
    throw new LabError(
      'unsupported-op',
      `${this.path}: no MatMul or MatMulNBits with a weight initializer under '${prefix}' (found: ${ops})`,
      { path: this.path, prefix },
    );
  }

  /** The bias Add under `prefix`, if any (qwen2 q/k/v). */
  async bias(prefix: string, outDim: number): Promise<WeightTensor | null> {
    const add = this.nodesUnder(prefix).find((n) => n.opType === 'Add' && n.inputs.some((x) => this.initializer(x)));
    if (!add) return null;
    return this.float(this.initializer(add.inputs.find((x) => this.initializer(x))!)!, [outDim]);
  }

  private async dequantize(node: OnnxNode, inDim: number, outDim: number): Promise<WeightTensor> {
    const attr = (name: string) => node.attributes.find((a) => a.name === name)?.i;
    const [k, n, bits, blockSize] = [attr('K'), attr('N'), attr('bits') ?? 4, attr('block_size')];
    if (k !== inDim || n !== outDim) {
      throw new LabError('corrupt', `${this.path}: MatMulNBits '${node.name}' has K=${k} N=${n} but config.json implies K=${inDim} N=${outDim}`, { path: this.path, node: node.name });
    }
    // The contrib op's spec: block_size is a power of 2, at least 16.
    if (blockSize === undefined || !Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
      throw new LabError('corrupt', `${this.path}: MatMulNBits '${node.name}' has block_size ${blockSize ?? 'missing'}; it must be a power of 2 of at least 16`, { path: this.path, node: node.name, blockSize });
    }
    const packed = this.requireInit(node, 1);
    const scales = this.requireInit(node, 2);
    const zpName = node.inputs[3];
    const zpTensor = zpName ? this.requireInit(node, 3) : null;
    const zeroPoints = !zpTensor ? null
      : zpTensor.dataType === OnnxDataType.uint8 ? await tensorToUint8(this.src, zpTensor)
      : await tensorToFloat32(this.src, zpTensor);
    const data = dequantizeMatMulNBits(
      { n, k, bits, blockSize, packed: await tensorToUint8(this.src, packed), scales: await tensorToFloat32(this.src, scales), zeroPoints },
      `${this.path}: ${node.name}`,
    );
    return { shape: [outDim, inDim], data };
  }

  private requireInit(node: OnnxNode, index: number): OnnxTensor {
    const t = this.initializer(node.inputs[index]);
    if (!t) {
      throw new LabError('unsupported-op', `${this.path}: ${node.opType} '${node.name}' input ${index} ('${node.inputs[index]}') is not an initializer`, { path: this.path, node: node.name });
    }
    return t;
  }

  /**
   * A norm weight: through the norm node under `prefix` (SimplifiedLayerNormalization input 1,
   * SkipSimplifiedLayerNormalization input 2, or a Mul by an initializer), else by `fallbackName`.
   */
  async norm(prefix: string, fallbackName: string, hidden: number): Promise<WeightTensor> {
    for (const node of this.nodesUnder(prefix)) {
      const index =
        node.opType === 'SimplifiedLayerNormalization' ? 1
        : node.opType === 'SkipSimplifiedLayerNormalization' ? 2
        : node.opType === 'Mul' ? node.inputs.findIndex((x) => this.initializer(x)?.dims.join() === String(hidden))
        : -1;
      const t = index >= 0 ? this.initializer(node.inputs[index]) : null;
      if (t) return this.float(t, [hidden]);
    }
    const t = this.initializer(fallbackName);
    if (!t) throw new LabError('unsupported-op', `${this.path}: no norm weight under '${prefix}' and no initializer '${fallbackName}'`, { path: this.path, prefix });
    return this.float(t, [hidden]);
  }

  /** Embedding table: the Gather under `prefix`, else the initializer `fallbackName`. */
  async embedding(prefix: string, fallbackName: string, shape: number[]): Promise<WeightTensor> {
    const gather = this.nodesUnder(prefix).find((n) => n.opType === 'Gather' && this.initializer(n.inputs[0]));
    const t = gather ? this.initializer(gather.inputs[0]) : this.initializer(fallbackName);
    if (!t) {
      const ops = this.nodesUnder(prefix).map((n) => n.opType).join(', ') || 'no nodes';
      throw new LabError('unsupported-op', `${this.path}: no fp embedding table under '${prefix}' (found: ${ops})`, { path: this.path });
    }
    return this.float(t, shape);
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
