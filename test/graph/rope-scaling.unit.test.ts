// RoPE frequency scaling from config.json rope_scaling: Llama 3.2's 'llama3' rule and 'linear',
// checked against the rule written out here in float64; unknown kinds are refused, never ignored.

import { describe, expect, it } from 'vitest';
import { ropeInverseFrequency, ropeTables } from '../../src/graph/llama-graph';
import { ropeScalingOf } from '../../src/model/importers/hf-config';
import type { RopeScaling } from '../../src/model/model-spec';

// Llama-3.2-1B's config.json
const llama32 = { factor: 32, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192, rope_type: 'llama3' };
const scaling = ropeScalingOf({ rope_scaling: llama32 }, 'config.json') as RopeScaling;

describe('llama3 rope scaling', () => {
  it('parses config.json rope_scaling', () => {
    expect(scaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    expect(ropeScalingOf({ rope_scaling: null }, 'config.json')).toBeNull();
    expect(ropeScalingOf({}, 'config.json')).toBeNull();
    expect(ropeScalingOf({ rope_scaling: { rope_type: 'default' } }, 'config.json')).toBeNull();
    expect(ropeScalingOf({ rope_scaling: { type: 'linear', factor: 2 } }, 'config.json')).toEqual({ type: 'linear', factor: 2 });
  });

  it('refuses kinds it does not implement and malformed ones, naming the file', () => {
    expect(() => ropeScalingOf({ rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'm/config.json')).toThrow(
      expect.objectContaining({ code: 'unsupported-architecture', message: expect.stringMatching(/^m\/config\.json: rope_scaling type 'yarn'/) }),
    );
    expect(() => ropeScalingOf({ rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'config.json')).toThrow(expect.objectContaining({ code: 'corrupt' }));
    expect(() => ropeScalingOf({ rope_scaling: { ...llama32, high_freq_factor: 0.5 } }, 'config.json')).toThrow(expect.objectContaining({ code: 'corrupt' }));
    expect(() => ropeScalingOf({ rope_scaling: { type: 'linear', factor: 0 } }, 'config.json')).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });

  it('keeps short wavelengths, divides long ones by the factor, blends the band between (HF rule, float64 here)', () => {
    const [theta, hd] = [500000, 64];
    const kinds = new Set<string>();
    for (let j = 0; j < hd / 2; j++) {
      const inv = 1 / theta ** ((2 * j) / hd);
      const wavelen = (2 * Math.PI) / inv;
      let expected: number;
      if (wavelen < 8192 / 4) (expected = inv), kinds.add('kept');
      else if (wavelen > 8192 / 1) (expected = inv / 32), kinds.add('divided');
      else {
        const s = (8192 / wavelen - 1) / (4 - 1);
        expected = ((1 - s) / 32 + s) * inv;
        kinds.add('blended');
        expect(expected).toBeLessThan(inv);
        expect(expected).toBeGreaterThan(inv / 32);
      }
      expect(Math.abs(ropeInverseFrequency(theta, hd, j, scaling) - expected) / expected).toBeLessThan(1e-6);
    }
    expect([...kinds].sort()).toEqual(['blended', 'divided', 'kept']);
  });

  it('linear divides every frequency; the tables use the scaled frequencies', () => {
    const plain = ropeTables(10000, 8, 5);
    const linear = ropeTables(10000, 8, 5, { type: 'linear', factor: 2 });
    // position p with factor 2 = position p/2 without: p = 4 → p = 2
    for (let j = 0; j < 8; j++) {
      expect(linear.cos[4 * 8 + j]).toBeCloseTo(plain.cos[2 * 8 + j], 6);
      expect(linear.sin[4 * 8 + j]).toBeCloseTo(plain.sin[2 * 8 + j], 6);
    }
    expect(ropeInverseFrequency(10000, 8, 1, null)).toBe(ropeInverseFrequency(10000, 8, 1));
  });
});
