// What bench/browser-speed.ts measures, as plain data (unit-tested in test/bench/speed-plan.unit.test.ts):
// the variants of a model (dense; 20% and 40% of its blocks removed; 25% of hidden channels removed; 50%
// Wanda) as prune requests, the summary of a variant's figures against the dense model's measured in the
// same page (decode and prefill speed-ups beside the ideal N/(N−k) for removed blocks), and decode's bound.

import { decodeBoundAt } from '../src/evaluation/decode-bound';

export type VariantId = 'dense' | 'blocks-20' | 'blocks-40' | 'channels-25' | 'wanda-50';
export const VARIANTS: VariantId[] = ['dense', 'blocks-20', 'blocks-40', 'channels-25', 'wanda-50'];

export interface VariantPlan {
  id: VariantId;
  /** The prune request's method and params (null: the dense model itself). */
  prune: { methodId: string; params: Record<string, string | number | boolean>; needsCalibration: boolean } | null;
  /** Blocks the variant removes (the ideal decode speed-up is N / (N − k)). */
  removedBlocks: number[];
}

/** Blocks removed for a share of N: round(share·N) of them, the last ones before the final block (the first and last stay, as SLEB protects them). */
export function blocksToRemove(numLayers: number, share: number): number[] {
  const k = Math.min(numLayers - 2, Math.max(1, Math.round(share * numLayers)));
  if (k < 1) return [];
  return Array.from({ length: k }, (_, i) => numLayers - 1 - k + i);
}

export function variantPlan(id: VariantId, numLayers: number): VariantPlan {
  switch (id) {
    case 'dense':
      return { id, prune: null, removedBlocks: [] };
    case 'blocks-20':
    case 'blocks-40': {
      const removed = blocksToRemove(numLayers, id === 'blocks-20' ? 0.2 : 0.4);
      return { id, prune: { methodId: 'drop-blocks', params: { blocks: removed.join(',') }, needsCalibration: false }, removedBlocks: removed };
    }
    case 'channels-25':
      return { id, prune: { methodId: 'channels', params: { ratio: 0.25 }, needsCalibration: false }, removedBlocks: [] };
    case 'wanda-50':
      return { id, prune: { methodId: 'wanda', params: { sparsity: 0.5 }, needsCalibration: true }, removedBlocks: [] };
  }
}

export function parseVariants(list: string): VariantId[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!VARIANTS.includes(id as VariantId)) throw new Error(`unknown variant '${id}'; variants: ${VARIANTS.join(', ')}`);
  return ids as VariantId[];
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

/** One measured model (dense or a variant): prefill per prompt length, decode per context length. */
export interface SpeedFigures {
  prefill: { promptTokens: number; ms: Stat; tokensPerS: Stat }[];
  decode: { contextTokens: number; genTokens: number; msPerToken: Stat; tokensPerS: Stat }[];
}

/** Medians of a variant against the dense model's from the same page: ratios > 1 are faster. */
export function speedups(variant: SpeedFigures, dense: SpeedFigures, plan: VariantPlan, numLayers: number): Record<string, unknown> {
  const decode = variant.decode.map((d) => {
    const base = dense.decode.find((x) => x.contextTokens === d.contextTokens);
    return { contextTokens: d.contextTokens, speedup: base ? d.tokensPerS.median / base.tokensPerS.median : null };
  });
  const prefill = variant.prefill.map((p) => {
    const base = dense.prefill.find((x) => x.promptTokens === p.promptTokens);
    return { promptTokens: p.promptTokens, speedup: base ? p.tokensPerS.median / base.tokensPerS.median : null };
  });
  const k = plan.removedBlocks.length;
  const ideal = k > 0 ? numLayers / (numLayers - k) : null;
  return {
    decode,
    prefill,
    idealBlockSpeedup: ideal,
    // The goal: decode speed-up ≥ 0.95 × N/(N−k) when k of N blocks are removed.
    decodeVsIdeal: ideal === null ? null : decode.map((d) => (d.speedup === null ? null : d.speedup / ideal)),
  };
}

/** Decode's physical bound at each context (src/evaluation/decode-bound: bandwidth ÷ (weight bytes + KV bytes × context)), and the measured share of it, rounded for the report. */
export function decodeBound(figures: SpeedFigures, gbPerS: number | null, weightsBytes: number, kvBytesPerToken: number): Record<string, unknown>[] {
  return figures.decode.flatMap((d) => {
    const bound = decodeBoundAt(d.tokensPerS.median, gbPerS, weightsBytes, kvBytesPerToken, d.contextTokens);
    if (!bound) return [];
    return [{ contextTokens: d.contextTokens, bytesPerToken: bound.bytesPerToken, boundTokensPerS: Math.round(bound.boundTokensPerS * 10) / 10, fractionOfBound: Math.round(bound.fractionOfBound * 1000) / 1000 }];
  });
}

/** The largest ratio between neighbouring points' ms/token along a decode-vs-context curve (≥ 1), to 3 decimals: a cache that allocates in steps shows one. */
export function largestJump(msPerToken: number[]): number {
  let worst = 1;
  for (let i = 1; i < msPerToken.length; i++) worst = Math.max(worst, msPerToken[i] / msPerToken[i - 1]);
  return Math.round(worst * 1000) / 1000;
}
