// Splits safetensors entries into shards of at most `maxShardBytes` (HF's max_shard_size) and
// writes model-0000i-of-0000N.safetensors + model.safetensors.index.json. Pure: Blob only.

import { LabError } from '../errors';
import { writeSafetensors, type SafetensorsEntry } from './safetensors-writer';

/** 2 GB (decimal, as HF's "2GB"): shards stay under browsers' and wasm's 2 GiB buffer limits. */
export const DEFAULT_MAX_SHARD_BYTES = 2e9;

export interface SafetensorsFileOut {
  path: string;
  blob: Blob;
}

const octets = (parts: Uint8Array[]) => new Blob(parts as BlobPart[], { type: 'application/octet-stream' });

/**
 * One `model.safetensors` when the tensor bytes fit in `maxShardBytes`, else shards in entry order
 * (a tensor larger than the limit gets a shard of its own, as transformers does) and the index.
 */
export function writeSafetensorsFiles(entries: SafetensorsEntry[], options: { maxShardBytes?: number; metadata?: Record<string, string> } = {}): SafetensorsFileOut[] {
  const limit = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(limit > 0) || !Number.isFinite(limit)) throw new LabError('bad-argument', `export: maxShardBytes must be a positive number of bytes, got ${limit}`);
  const bytesOf = (e: SafetensorsEntry) => e.data.length * 4;
  const totalSize = entries.reduce((s, e) => s + bytesOf(e), 0);
  if (totalSize <= limit) {
    const st = writeSafetensors(entries, { metadata: options.metadata });
    return [{ path: 'model.safetensors', blob: octets(st.parts) }];
  }
  const shards: SafetensorsEntry[][] = [];
  let current: SafetensorsEntry[] = [];
  let currentBytes = 0;
  for (const e of entries) {
    if (current.length > 0 && currentBytes + bytesOf(e) > limit) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(e);
    currentBytes += bytesOf(e);
  }
  if (current.length > 0) shards.push(current);
  const n = shards.length;
  const pad = (i: number) => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files = shards.map((shard, i) => {
    const path = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
    for (const e of shard) weightMap[e.name] = path;
    return { path, blob: octets(writeSafetensors(shard, { metadata: options.metadata }).parts) };
  });
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  files.push({ path: 'model.safetensors.index.json', blob: new Blob([JSON.stringify(index, null, 2)], { type: 'application/json' }) });
  return files;
}
