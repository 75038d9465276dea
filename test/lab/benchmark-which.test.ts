// Lab.benchmark({which: 'pruned'}) times the last pruning run's model (bench/browser-speed measures dense
// and pruned in one page with it): refused before a run, then the pruned model (fewer blocks) is timed and
// the dense model is still the loaded one.

import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab';
import { stories260KLayouts } from '../helpers/model-files';

const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });
afterAll(() => lab.dispose());

describe('benchmark which', () => {
  it('refuses a pruned benchmark before any run, then times the pruned model', async () => {
    const loaded = await lab.loadModel(await stories260KLayouts['safetensors checkpoint']());
    const request = { promptTokens: 8, genTokens: 4, runs: 1, warmupRuns: 0 };
    await expect(lab.benchmark({ ...request, which: 'pruned' })).rejects.toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/no pruned model yet/) });
    await expect(lab.benchmark({ ...request, which: 'other' as never })).rejects.toMatchObject({ code: 'bad-argument' });
    await lab.prune({ methodId: 'drop-blocks', params: { blocks: '1,2,3' }, calibration: { text: { kind: 'file', name: 'x.txt', text: 'x' } } });
    const pruned = await lab.benchmark({ ...request, which: 'pruned' });
    const dense = await lab.benchmark(request);
    for (const r of [pruned, dense]) expect(r).toMatchObject({ promptTokens: 8, genTokens: 4, runs: 1 });
    expect(pruned.decodeTokensPerS.median).toBeGreaterThan(0);
    expect((await lab.modelSummary())?.weightsHash).toBe(loaded.weightsHash);
    // The loaded (dense) model still generates: the pruned engine was the benchmark's own.
    expect((await lab.generate({ prompt: 'Once upon a time', maxNewTokens: 4 })).text).toMatch(/^Once upon a time/);
  });
});
