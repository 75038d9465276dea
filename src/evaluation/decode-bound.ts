// Decode's physical bound: each new token reads every weight once plus the whole KV cache, so tokens/s can
// never exceed the adapter's read bandwidth ÷ (weight bytes + KV bytes at that context). A measured figure
// reads as a fraction of it. Pure (no runtime import); Lab.benchmarkGpu and bench/speed-plan use it.

export interface DecodeBound {
  /** Tokens in the KV cache when the timed steps start. */
  contextTokens: number;
  /** Weights + KV cache read for one new token. */
  bytesPerToken: number;
  /** bandwidth ÷ bytesPerToken. */
  boundTokensPerS: number;
  /** measured tokens/s ÷ boundTokensPerS (0..1 on an honest adapter; above 1 means the bytes were overestimated or cached). */
  fractionOfBound: number;
}

/** KV cache bytes per cached token: 2 (key, value) × Σ over blocks of kvHeads × headDim × element bytes. */
export function kvBytesPerToken(layers: readonly { numKvHeads: number; headDim: number }[], elementBytes: number): number {
  return layers.reduce((sum, l) => sum + 2 * l.numKvHeads * l.headDim * elementBytes, 0);
}

/** Bytes of a KV cache element: the runtime holds the cache in float32 at every weight precision (graph/graph-parts). */
export const KV_CACHE_ELEMENT_BYTES = 4;

/** Bytes read for one new token with `contextTokens` cached: every weight once, the whole cache once. */
export function decodeBytesPerToken(weightsBytes: number, kvBytesPerCachedToken: number, contextTokens: number): number {
  return weightsBytes + kvBytesPerCachedToken * contextTokens;
}

/** The bound at one context and the measured tokens/s as a fraction of it; null without a bandwidth (wasm, no probe). */
export function decodeBoundAt(measuredTokensPerS: number, gbPerS: number | null, weightsBytes: number, kvBytesPerCachedToken: number, contextTokens: number): DecodeBound | null {
  if (!gbPerS || !(gbPerS > 0)) return null;
  const bytesPerToken = decodeBytesPerToken(weightsBytes, kvBytesPerCachedToken, contextTokens);
  const boundTokensPerS = (gbPerS * 1e9) / bytesPerToken;
  return { contextTokens, bytesPerToken, boundTokensPerS, fractionOfBound: measuredTokensPerS / boundTokensPerS };
}
