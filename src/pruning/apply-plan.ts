// The one function that turns a PruningPlan into a new ModelSpec: updates, then masks, then attention
// groups and FFN neurons removed inside blocks, then block removal with re-indexed names, then hidden channels. Copy-on-write: the input spec and the plan are never mutated.
// Pure; imports nothing from the runtime.

import { LabError } from '../errors';
import { removeHiddenChannels } from './channels';
import { removeStructure } from './structure';
import { BLOCK_WEIGHT_NAME, elementCount, type ModelSpec, type WeightTensor } from '../model/model-spec';
import { MaskedWeight } from '../model/stored-weight';
import type { PruningPlan } from './plan';

/**
 * New spec with `updates` (fresh fp32 copies, masked too when a mask is given) and `masks` applied;
 * others shared. A mask alone becomes a MaskedWeight: the original tensor (still in its own precision,
 * possibly still on disk) plus one bit per entry, not an fp32 copy.
 */
export function editWeights(spec: ModelSpec, masks: Record<string, Uint8Array>, updates: Record<string, Float32Array>): ModelSpec {
  const weights = new Map(spec.weights);
  const fresh = new Map<string, WeightTensor>();
  for (const [name, data] of Object.entries(updates)) {
    const w = need(spec, name, data.length, 'update');
    const values = Float32Array.from(data);
    const mask = masks[name];
    if (mask) {
      need(spec, name, mask.length, 'mask');
      for (let i = 0; i < mask.length; i++) if (mask[i] === 0) values[i] = 0;
    }
    fresh.set(name, { shape: w.shape.slice(), data: values });
  }
  for (const [name, mask] of Object.entries(masks)) {
    if (fresh.has(name)) continue;
    fresh.set(name, new MaskedWeight(need(spec, name, mask.length, 'mask'), Uint8Array.from(mask)));
  }
  for (const [name, t] of fresh) weights.set(name, t);
  return { ...spec, weights };
}

function need(spec: ModelSpec, name: string, length: number, what: string): WeightTensor {
  const w = spec.weights.get(name);
  if (!w) throw new LabError('bad-argument', `plan: ${what} for ${name}, which the model does not have`, { weight: name });
  const size = elementCount(w);
  if (size !== length)
    throw new LabError('bad-argument', `plan: ${what} for ${name} has ${length} entries but the weight has ${size}`, { weight: name });
  return w;
}

/** Deletes blocks physically; weight names after a removed block move down (KV-cache indices stay dense). */
export function removeBlocks(spec: ModelSpec, blocks: number[]): ModelSpec {
  if (blocks.length === 0) return spec;
  const n = spec.layers.length;
  const removed = new Set(blocks);
  if (removed.size !== blocks.length || blocks.some((b) => !Number.isInteger(b) || b < 0 || b >= n))
    throw new LabError('bad-argument', `plan: removeBlocks ${JSON.stringify(blocks)} must be distinct block indices in [0, ${n - 1}]`);
  if (removed.size >= n) throw new LabError('bad-argument', `plan: removing all ${n} blocks leaves no model`);
  const newIndex = new Map<number, number>();
  let next = 0;
  for (let i = 0; i < n; i++) if (!removed.has(i)) newIndex.set(i, next++);
  const weights = new Map<string, WeightTensor>();
  for (const [name, w] of spec.weights) {
    const m = BLOCK_WEIGHT_NAME.exec(name);
    if (!m) {
      weights.set(name, w);
      continue;
    }
    const target = newIndex.get(Number(m[2]));
    if (target !== undefined) weights.set(`${m[1]}.${target}.${m[3]}`, w);
  }
  return { ...spec, layers: spec.layers.filter((_, i) => !removed.has(i)), weights };
}

export function applyPlan(spec: ModelSpec, plan: PruningPlan): ModelSpec {
  const edited = editWeights(spec, plan.masks, plan.updates);
  const narrowed = plan.structure?.length ? removeStructure(edited, plan.structure) : edited;
  const shortened = removeBlocks(narrowed, [...plan.removeBlocks].sort((a, b) => a - b));
  const channels = plan.hiddenChannels;
  return channels ? removeHiddenChannels(shortened, channels.removed, channels.compensateNorm) : shortened;
}
