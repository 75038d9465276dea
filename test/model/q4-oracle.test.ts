// Checks the MatMulNBits dequantization against onnxruntime-web itself (the oracle): logits of the
// imported q4 weights through a plain TS forward vs. the q4 ONNX graph run in ORT (wasm, in Node).

import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { loadModelFromFiles } from '../../src/model/load-model';
import { genaiDir, maxAbsDiff, refsFrom } from './helpers';
import { referenceLogits } from '../oracles/reference-forward';

const tokens = [1, 403, 407, 261, 378, 271, 288, 350];

async function ortLogits(file: string): Promise<Float32Array> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)));
  const T = tokens.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map((_, i) => BigInt(i))), [1, T]),
  };
  for (let i = 0; i < 5; i++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
  }
  const out = await session.run(feeds);
  await session.release();
  return out.logits.data as Float32Array;
}

describe('imported weights reproduce the ONNX graph logits (onnxruntime-web as oracle)', () => {
  for (const file of ['onnx/model.onnx', 'onnx/model_q4.onnx']) {
    it(`${file}`, async () => {
      const loaded = await loadModelFromFiles(refsFrom(genaiDir, ['config.json', 'tokenizer.json', file]));
      const ours = Float32Array.from(referenceLogits(loaded.spec, tokens));
      const theirs = await ortLogits(path.join(genaiDir, file));
      const diff = maxAbsDiff(ours, theirs);
      const scale = Math.max(...theirs.map(Math.abs));
      console.log(`${file}: max |logit diff| ${diff.toExponential(3)} (max |logit| ${scale.toFixed(2)})`);
      expect(scale).toBeGreaterThan(1);
      expect(diff).toBeLessThan(1e-4);
    });
  }
});
