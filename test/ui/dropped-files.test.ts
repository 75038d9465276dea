// Paths of picked/dropped files: relative to the dropped folder, '/'-separated.

import { describe, expect, it } from 'vitest';
import { filesFromFileList, stripCommonRoot } from '../../src/ui/dropped-files';

function fileIn(relativePath: string): File {
  const file = new File(['x'], relativePath.split('/').pop()!);
  Object.defineProperty(file, 'webkitRelativePath', { value: relativePath });
  return file;
}

describe('dropped files', () => {
  it('a picked folder keeps paths below the folder itself', () => {
    const picked = filesFromFileList([fileIn('stories260K/onnx/model.onnx'), fileIn('stories260K/config.json')]);
    expect(picked.files.map((r) => r.path)).toEqual(['config.json', 'onnx/model.onnx']);
    expect(picked.folderName).toBe('stories260K');
  });

  it('several plain files keep their names', () => {
    const picked = filesFromFileList([new File(['a'], 'tokenizer.json'), new File(['b'], 'model.safetensors')]);
    expect(picked.files.map((r) => r.path)).toEqual(['model.safetensors', 'tokenizer.json']);
    expect(picked.folderName).toBeNull();
  });

  it('does not strip when paths do not share one root', () => {
    const blob = new Blob([]);
    const refs = [{ path: 'a/x.json', blob }, { path: 'b/y.json', blob }, { path: 'z.json', blob }];
    expect(stripCommonRoot(refs)).toBe(refs);
    expect(stripCommonRoot([{ path: 'onnx/model.onnx', blob }])[0].path).toBe('model.onnx');
  });
});
