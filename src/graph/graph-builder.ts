// A small ONNX graph builder: nodes with unique names, initializers, cached constants, I/O → bytes.
// Pure: imports only the writer (no runtime, no model code).

import {
  encodeOnnxModel,
  lazyTensor,
  TensorType,
  type OnnxAttributeValue,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
  type TensorData,
  type TensorElemType,
} from './onnx-writer';

/** ai.onnx opset of every graph we build (LayerNormalization needs ≥ 17; Trilu ≥ 14). */
export const OPSET = 17;
const IR_VERSION = 8; // the IR version that goes with opset 17

type AttrInput = number | string | number[] | { floats: number[] } | { float: number } | OnnxTensor;

function toAttribute(v: AttrInput): OnnxAttributeValue {
  if (typeof v === 'number') return { kind: 'int', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'ints', value: v };
  if ('floats' in v) return { kind: 'floats', value: v.floats };
  if ('float' in v) return { kind: 'float', value: v.float };
  return { kind: 'tensor', value: v };
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();
  private scope = '';

  constructor(readonly graphName: string) {}

  /** Prefix for node and value names made until the next call (e.g. '/model/layers.3'). */
  setScope(scope: string): void {
    this.scope = scope;
  }

  /** Runs `build` with `scope` as the node-name prefix, then restores the previous scope. */
  withScope<T>(scope: string, build: () => T): T {
    const previous = this.scope;
    this.scope = scope;
    try {
      return build();
    } finally {
      this.scope = previous;
    }
  }

  /** A name not used yet, based on `base`. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, outputName?: string): string {
    return this.opN(opType, inputs, 1, attrs, outputName ? [outputName] : undefined)[0];
  }

  /** Adds a node with `numOutputs` outputs; names given in `outputNames` are used as they are. */
  opN(
    opType: string,
    inputs: string[],
    numOutputs: number,
    attrs: Record<string, AttrInput> = {},
    outputNames?: (string | undefined)[],
    domain?: string,
  ): string[] {
    const name = this.unique(`${this.scope}/${opType}`);
    const outputs: string[] = [];
    for (let i = 0; i < numOutputs; i++) {
      const given = outputNames?.[i];
      if (given) {
        this.used.add(given);
        outputs.push(given);
      } else outputs.push(this.unique(`${name}_output_${i}`));
    }
    const attributes: Record<string, OnnxAttributeValue> = {};
    for (const [k, v] of Object.entries(attrs)) attributes[k] = toAttribute(v);
    this.nodes.push({ opType, name, inputs, outputs, attributes, ...(domain ? { domain } : {}) });
    return outputs;
  }

  initializer(name: string, dataType: TensorElemType, dims: number[], data: TensorData): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dataType, dims, data });
    return unique;
  }

  /** A float32 initializer; pass a function to compute the values only when the graph is encoded. */
  floatInit(name: string, dims: number[], data: Float32Array | (() => Float32Array)): string {
    if (typeof data !== 'function') return this.initializer(name, TensorType.float, dims, data);
    const unique = this.unique(name);
    this.initializers.push(lazyTensor(unique, TensorType.float, dims, data));
    return unique;
  }

  /** An int64 constant (cached by value), e.g. a shape or an axis list. */
  int64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.initializer(`const_i64_${values.join('_').replace(/-/g, 'm')}`, TensorType.int64, dims, BigInt64Array.from(values, (v) => BigInt(v)));
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A float32 scalar constant (cached by value). */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.initializer(`const_f32_${this.constCache.size}`, TensorType.float, [], Float32Array.of(value));
      this.constCache.set(key, name);
    }
    return name;
  }

  input(name: string, elemType: TensorElemType, dims: (number | string)[]): string {
    this.used.add(name);
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  /** Declares `value` a graph output named `name` (adds an Identity when the names differ). */
  output(value: string, name: string, elemType: TensorElemType, dims: (number | string)[]): void {
    if (value !== name) this.op('Identity', [value], {}, name);
    this.outputs.push({ name, elemType, dims });
  }

  /** The model as the writer takes it (export rewrites it before encoding: fp16, MatMulNBits). */
  toModel(): OnnxModel {
    return {
      irVersion: IR_VERSION,
      // Contrib ops (GroupQueryAttention of the fixed-capacity decode cache) need their domain declared.
      opsets: [{ domain: '', version: OPSET }, ...(this.nodes.some((n) => n.domain === 'com.microsoft') ? [{ domain: 'com.microsoft', version: 1 }] : [])],
      producerName: 'prunelab',
      graphName: this.graphName,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }

  toBytes(rewrite?: (model: OnnxModel) => OnnxModel): Uint8Array {
    const model = this.toModel();
    return encodeOnnxModel(rewrite ? rewrite(model) : model);
  }
}
