// A model folder is written whole or not at all (issue 14, "no half-written export"): every file is
// written to its swap file first and committed (close) only when all writes succeeded; a failing write
// aborts every file, so nothing is committed.

import { describe, expect, it } from 'vitest';
import { writeAllInto, type DirectoryHandle } from '../../src/ui/save-files';

/** An in-memory folder whose writables commit on close, discard on abort, and fail on `failOn`'s write. */
function fakeFolder(failOn?: string) {
  const committed = new Map<string, string>();
  const aborted: string[] = [];
  const folder = (prefix: string): DirectoryHandle => ({
    async getDirectoryHandle(name) {
      return folder(`${prefix}${name}/`);
    },
    async getFileHandle(name) {
      const path = `${prefix}${name}`;
      return {
        async createWritable() {
          let data = '';
          return {
            async write(blob: Blob) {
              if (path === failOn) throw new DOMException('The disk is full.', 'QuotaExceededError');
              data += await blob.text();
            },
            async close() {
              committed.set(path, data);
            },
            async abort() {
              aborted.push(path);
            },
          };
        },
      };
    },
  });
  return { root: folder(''), committed, aborted };
}

const files = ['config.json', 'model.safetensors', 'onnx/model.onnx', 'README.md'].map((path) => ({ path, blob: new Blob([`bytes of ${path}`]) }));

describe('writeAllInto', () => {
  it('writes every file, with its folders', async () => {
    const { root, committed } = fakeFolder();
    await writeAllInto(root, files);
    expect([...committed.keys()]).toEqual(files.map((f) => f.path));
    expect(committed.get('onnx/model.onnx')).toBe('bytes of onnx/model.onnx');
  });

  it('a write that fails part-way commits nothing and aborts the files opened so far', async () => {
    const { root, committed, aborted } = fakeFolder('onnx/model.onnx');
    await expect(writeAllInto(root, files)).rejects.toMatchObject({ name: 'QuotaExceededError' });
    expect(committed.size).toBe(0);
    expect(aborted).toEqual(['config.json', 'model.safetensors', 'onnx/model.onnx']);
  });
});
