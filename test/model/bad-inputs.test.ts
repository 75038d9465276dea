import { describe, expect, it } from 'vitest';
import { badInputs } from '../../e2e/bad-inputs';
import { LabError } from '../../src/errors';
import { loadModelFromFiles } from '../../src/model/load-model';
import { refOf } from './helpers';

describe('bad inputs table (shared with e2e)', () => {
  it('has the required rows', () => {
    const ids = badInputs.map((r) => r.id);
    for (const id of ['random-bytes-onnx', 'truncated-onnx', 'truncated-safetensors', 'safetensors-offsets-past-end', 'config-without-weights', 'weights-without-config', 'tokenizer-vocab-mismatch', 'unsupported-architecture', 'empty-text']) {
      expect(ids).toContain(id);
    }
    expect(badInputs.find((r) => r.id === 'empty-text')).toMatchObject({ kind: 'text', expectedCode: 'bad-text' });
  });

  for (const row of badInputs.filter((r) => r.kind === 'model')) {
    it(`${row.id}: ${row.description} → ${row.expectedCode}`, async () => {
      const files = (await row.makeFiles()).map((f) => refOf(f.path, f.bytes));
      const error = await loadModelFromFiles(files).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LabError);
      expect((error as LabError).code).toBe(row.expectedCode);
      expect((error as LabError).message).toMatch(row.messagePattern);
    });
  }
});
