// Every row of the bad-input table (e2e/bad-inputs.ts, also run through the UI by e2e/bad-inputs.spec.ts)
// through Lab.loadModel in Node, the path the UI takes: each error row fails with its code and a message
// naming the file, the previous model stays loaded; each 'loads' row loads.

import { afterAll, describe, expect, it } from 'vitest';
import { badInputs } from '../../e2e/bad-inputs';
import { LabError } from '../../src/errors';
import { Lab } from '../../src/lab/lab';
import { refOf, refsFrom, storiesDir } from './helpers';

const lab = new Lab({ preferWebGpu: false, loadText: async () => '' });
afterAll(() => lab.dispose());

describe('bad inputs table (shared with e2e)', () => {
  it('covers every class of issue 14 and the earlier table', () => {
    const groups = new Set(badInputs.map((r) => r.group));
    for (const group of ['files', 'offsets', 'config', 'unimplemented', 'weights', 'mismatch', 'runtime', 'text', 'control'] as const) expect(groups).toContain(group);
    expect(new Set(badInputs.map((r) => r.id)).size).toBe(badInputs.length);
    expect(badInputs.find((r) => r.id === 'empty-text')).toMatchObject({ kind: 'text', expectedCode: 'bad-text' });
  });

  it.each(badInputs.filter((r) => r.kind === 'model').map((r) => [r.id, r] as const))('%s', async (_id, row) => {
    const before = await lab.loadModel(refsFrom(storiesDir, ['config.json', 'tokenizer.json', 'model.safetensors']));
    const files = (await row.makeFiles()).map((f) => refOf(f.path, f.bytes));
    const error = await lab.loadModel(files).then(
      () => null,
      (e: unknown) => e,
    );
    if (row.expectedCode === 'loads') {
      expect(error).toBeNull();
      return;
    }
    expect(error).toBeInstanceOf(LabError);
    expect({ code: (error as LabError).code, message: (error as LabError).message }).toEqual({ code: row.expectedCode, message: expect.stringMatching(row.messagePattern) });
    expect((await lab.modelSummary())?.weightsHash).toBe(before.weightsHash);
  });
});
