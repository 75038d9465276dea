import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffBytes, sniffFile } from '../../src/formats/sniff';
import { genaiDir, refOf, storiesDir } from '../model/helpers';

const head = (p: string) => {
  const bytes = fs.readFileSync(p);
  return sniffBytes(new Uint8Array(bytes.subarray(0, 4096)), bytes.length);
};

describe('sniffBytes', () => {
  it('recognises the real files by content', () => {
    expect(head(path.join(storiesDir, 'model.safetensors'))).toBe('safetensors');
    expect(head(path.join(storiesDir, 'onnx/model.onnx'))).toBe('onnx');
    expect(head(path.join(genaiDir, 'onnx/model_q4.onnx'))).toBe('onnx');
    expect(head(path.join(storiesDir, 'config.json'))).toBe('json');
    // tokenizer.model is a SentencePiece protobuf, not a ModelProto.
    expect(head(path.join(storiesDir, 'tokenizer.model'))).toBe('unknown');
    expect(head(path.join(storiesDir, 'PROVENANCE.md'))).toBe('unknown');
  });

  it('recognises GGUF and zip magics, and not random bytes', () => {
    expect(sniffBytes(new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]), 8)).toBe('gguf');
    expect(sniffBytes(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]), 6)).toBe('zip');
    let s = 7;
    for (let trial = 0; trial < 200; trial++) {
      const bytes = new Uint8Array(256).map(() => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24));
      expect(sniffBytes(bytes, 256)).toBe('unknown');
    }
  });

  it('sniffs content, not names: a safetensors file named weights.bin is safetensors', async () => {
    const bytes = fs.readFileSync(path.join(storiesDir, 'model.safetensors'));
    expect(await sniffFile(refOf('weights.bin', new Uint8Array(bytes)))).toBe('safetensors');
    expect(await sniffFile(refOf('model.onnx', '{"a": 1}'))).toBe('json');
  });
});
