// The parsed subset of an ONNX ModelProto that importers need. Pure data.

export const OnnxDataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  float16: 10,
  double: 11,
  bfloat16: 16,
} as const;

export interface OnnxExternalData {
  location: string;
  offset: number;
  /** null when the entry omits length (the rest of the file). */
  length: number | null;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** raw_data as a zero-copy view, when it was small enough to be read with the graph. */
  rawData: Uint8Array | null;
  /** raw_data left in the file (large initializers): absolute byte range in the .onnx file. */
  rawDataRange: { offset: number; length: number } | null;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  /** 1 = EXTERNAL (bytes in another file). */
  dataLocation: number;
  externalData: OnnxExternalData | null;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto data type of the element, 0 when not a tensor. */
  elemType: number;
  /** dim_value, dim_param, or null when neither is set. */
  dims: (number | string | null)[];
}

export interface OnnxModel {
  path: string;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}
