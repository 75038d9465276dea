// Dequantizes com.microsoft MatMulNBits weights to fp32 [N, K] (= [out, in], nn.Linear layout).
// Layout (onnxruntime contrib op spec): B uint8 [N, ceil(K/block), block*bits/8], low nibble first;
// scales [N * ceil(K/block)]; zero points optional (packed uint8, or float like scales), default 2^(bits-1).

import { LabError } from '../../errors';

export interface NBitsWeights {
  n: number;
  k: number;
  bits: number;
  blockSize: number;
  packed: Uint8Array;
  scales: Float32Array;
  /** Packed uint8 zero points, float zero points, or null (default 2^(bits-1)). */
  zeroPoints: Uint8Array | Float32Array | null;
}

export function dequantizeMatMulNBits(w: NBitsWeights, where: string): Float32Array {
  const { n, k, bits, blockSize, packed, scales, zeroPoints } = w;
  if (bits !== 4) {
    throw new LabError('unsupported-format', `${where}: MatMulNBits with bits=${bits}; only 4-bit weights are supported`, { bits });
  }
  const blocks = Math.ceil(k / blockSize);
  const blobBytes = (blockSize * bits) / 8;
  if (packed.length !== n * blocks * blobBytes || scales.length !== n * blocks) {
    throw new LabError(
      'corrupt',
      `${where}: MatMulNBits N=${n} K=${k} block_size=${blockSize} needs ${n * blocks * blobBytes} weight bytes and ${n * blocks} scales, found ${packed.length} and ${scales.length}`,
    );
  }
  const zpBytesPerRow = Math.ceil(blocks / 2);
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocks; b++) {
      const blockIndex = row * blocks + b;
      const scale = scales[blockIndex];
      let zero = 8;
      if (zeroPoints instanceof Float32Array) zero = zeroPoints[blockIndex];
      else if (zeroPoints) {
        const byte = zeroPoints[row * zpBytesPerRow + (b >> 1)];
        zero = b & 1 ? byte >> 4 : byte & 0x0f;
      }
      const blobStart = blockIndex * blobBytes;
      const kStart = b * blockSize;
      const kEnd = Math.min(k, kStart + blockSize);
      for (let kk = kStart; kk < kEnd; kk++) {
        const j = kk - kStart;
        const byte = packed[blobStart + (j >> 1)];
        const q = j & 1 ? byte >> 4 : byte & 0x0f;
        out[row * k + kk] = (q - zero) * scale;
      }
    }
  }
  return out;
}
