// Lab.exportModel additions on a pruned stories260K (block 2 dropped): sharded safetensors under a
// tiny maxShardBytes reload to the same perplexity; every folder has a README.md model card with the
// run's figures; PruneResult.exportable; a model whose blocks differ is refused before export.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import type { ExportedFile, PruneResult } from '../../src/lab/lab-api';
import type { ModelSpec } from '../../src/model/model-spec';
import { stories260KLayouts, tinyStoriesPath } from '../helpers/model-files';

const text = fs.readFileSync(tinyStoriesPath, 'utf8');
const heldOut = { text: { kind: 'file', name: 'heldout.txt', text: text.slice(-40_000) }, seqLen: 128, maxWindows: 6 } as const;
const get = (files: ExportedFile[], p: string) => files.find((f) => f.path === p)!;

describe('export: shards, model card, exportability', () => {
  const lab = new Lab({ preferWebGpu: false, loadText: async () => text });
  let result: PruneResult;
  beforeAll(async () => {
    await lab.loadModel(await stories260KLayouts['optimum ONNX folder']());
    result = await lab.prune({
      methodId: 'drop-blocks',
      params: { blocks: '2' },
      calibration: { text: heldOut.text },
      evaluation: heldOut,
      speed: { promptTokens: 16, genTokens: 8, runs: 1, warmupRuns: 0 },
    });
  });
  afterAll(() => lab.dispose());

  it('PruneResult says both formats are exportable', () => {
    expect(result.exportable).toEqual({ safetensors: true, transformersJs: true, reason: null });
  });

  it('shards past maxShardBytes: index.json maps every tensor; the shards reload to the same perplexity', async () => {
    const files = await lab.exportModel({ which: 'pruned', format: 'safetensors', maxShardBytes: 300_000 });
    const shards = files.filter((f) => f.path.endsWith('.safetensors'));
    expect(files.some((f) => f.path === 'model.safetensors')).toBe(false);
    expect(shards.length).toBeGreaterThan(2);
    shards.forEach((s, i) => expect(s.path).toBe(`model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
    const index = JSON.parse(await get(files, 'model.safetensors.index.json').blob.text());
    let tensorBytes = 0;
    const names: string[] = [];
    for (const shard of shards) {
      const bytes = new Uint8Array(await shard.blob.arrayBuffer());
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
      for (const [name, t] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        names.push(name);
        expect(index.weight_map[name]).toBe(shard.path);
        tensorBytes += t.data_offsets[1] - t.data_offsets[0];
      }
      // A shard holds more than the limit only when one tensor alone is larger.
      if (Object.keys(header).length > 2) expect(bytes.length - 8 - n).toBeLessThanOrEqual(300_000);
    }
    expect(Object.keys(index.weight_map).sort()).toEqual(names.sort());
    expect(index.metadata.total_size).toBe(tensorBytes);

    const again = new Lab({ preferWebGpu: false, loadText: async () => text });
    const summary = await again.loadModel(files);
    expect(summary.numLayers).toBe(4);
    const ppl = (await again.evaluatePerplexity(heldOut)).ppl;
    expect(Math.abs(ppl - result.pplAfter!.ppl) / result.pplAfter!.ppl).toBeLessThan(1e-5);
    await again.dispose();
  });

  it('README.md model card: source, method, calibration, figures, files, loading', async () => {
    const files = await lab.exportModel({ which: 'pruned', format: 'both', onnxDtypes: ['fp32', 'q4'] });
    const card = await get(files, 'README.md').blob.text();
    expect(card).toContain('onnx-optimum, weights read from `onnx/model.onnx`');
    expect(card).toContain('Method: `drop-blocks`; parameters: blocks = "2"');
    expect(card).toContain('Calibration data: none (a data-free method)');
    expect(card).toContain('Removed blocks (0-based, of the source model): 2');
    expect(card).toContain('Layers: 5 → 4');
    expect(card).toContain(`| before | ${result.pplBefore!.ppl.toFixed(4)} | 6 windows × 128 tokens of heldout.txt`);
    expect(card).toContain(`| after | ${result.pplAfter!.ppl.toFixed(4)} |`);
    expect(card).toContain(`| after | ${result.speedAfter!.decodeTokensPerS.median.toFixed(1)} |`);
    expect(card).toContain('`onnx/model_q4.onnx`');
    expect(card).toContain('`model.safetensors`');
    expect(card).toContain("AutoModelForCausalLM.from_pretrained(\"./pruned-model\", { dtype: \"q4\" })");
    expect(card).toContain('from transformers import AutoModelForCausalLM');
    const loaded = await lab.exportModel({ which: 'loaded', format: 'safetensors' });
    const plain = await get(loaded, 'README.md').blob.text();
    expect(plain).toContain('as loaded in Prunelab (not pruned)');
    expect(plain).not.toContain('transformers.js');
  });

  it('a model whose blocks differ is refused before anything is written', async () => {
    // Reach the lab's kept pruned model to give one block another FFN width (no method does this yet).
    const current = (lab as unknown as { current: { pruned: { spec: ModelSpec } } }).current;
    const spec = current.pruned.spec;
    current.pruned.spec = { ...spec, layers: spec.layers.map((l, i) => (i === 1 ? { ...l, intermediateSize: 64 } : l)) };
    try {
      await expect(lab.exportModel({ which: 'pruned', format: 'transformers.js' })).rejects.toMatchObject({
        code: 'bad-argument',
        message: expect.stringMatching(/^export as transformers\.js: .*block 1 has .*FFN 64/),
      });
    } finally {
      current.pruned.spec = spec;
    }
  });
});
