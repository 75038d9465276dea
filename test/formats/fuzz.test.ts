// Fuzz pass over the loader (issue 14): seeded mutations of the real stories260K ONNX graphs,
// safetensors, config.json and tokenizer.json, each folder through loadModelFromFiles, every weight read
// and the text tokenizer built. No case may crash (anything thrown that is not a LabError), time out or
// leave an unhandled rejection. The same cases, 10,000 of them, run in bench/fuzz.ts.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LabError } from '../../src/errors';
import { createTextTokenizer } from '../../src/tokenizer/text-tokenizer';
import { tokenizerJsonMaxId } from '../../src/tokenizer/tokenizer-json';
import { countOutcomes, FUZZ_TARGETS, runFuzzCase, type FuzzResult } from '../helpers/fuzz';
import { storiesDir } from '../model/helpers';

/** 400 cases: ~6 s on the 2-core box. PRUNELAB_FUZZ_SEED moves the window (seeds base..base+CASES-1). */
const CASES = 400;
const BASE = Number(process.env.PRUNELAB_FUZZ_SEED ?? 0);

describe('fuzz: ONNX, safetensors, config.json and tokenizer.json through the whole loader', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
    // The tokenizer package warns on console for some damaged files; the outcome is what counts.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    vi.restoreAllMocks();
  });

  it(`${CASES} seeded cases: no crash, no timeout, no unhandled rejection; every outcome counted`, async () => {
    const results: FuzzResult[] = [];
    const t0 = performance.now();
    for (let seed = BASE; seed < BASE + CASES; seed++) results.push(await runFuzzCase(seed));
    await new Promise((resolve) => setTimeout(resolve, 10)); // let any stray rejection surface
    const counts = countOutcomes(results);
    console.log(`fuzz: ${CASES} cases (seeds ${BASE}..${BASE + CASES - 1}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n${JSON.stringify(counts, null, 1)}`);

    const bad = results.filter((r) => r.outcome === 'crash' || r.outcome === 'timeout');
    expect(bad.map((r) => `seed ${r.seed} (${r.target}: ${r.mutation}): ${r.outcome}: ${r.message}\n${r.stack ?? ''}`)).toEqual([]);
    expect(unhandled).toEqual([]);
    // Every target ran its share, and each refused at least some of its cases with a LabError.
    for (const t of FUZZ_TARGETS) {
      const n = Object.values(counts[t]).reduce((a, b) => a + b, 0) - (counts[t]['loads (non-finite weights)'] ?? 0);
      expect(n, t).toBe(CASES / FUZZ_TARGETS.length);
      expect(Object.keys(counts[t]).some((k) => k.startsWith('error:')), t).toBe(true);
    }
  });
});

describe('tokenizer.json damage the fuzz found (TypeErrors from first use, a hang): corrupt, naming the file', () => {
  const real = () => JSON.parse(fs.readFileSync(path.join(storiesDir, 'tokenizer.json'), 'utf8')) as Record<string, any>;
  const refused = (json: Record<string, unknown>, pattern: RegExp) => {
    let error: unknown = null;
    try {
      const t = createTextTokenizer(json);
      t.decode(t.encode('Once upon a time there was a cat.'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LabError);
    expect(error).toMatchObject({ code: 'corrupt' });
    expect((error as LabError).message).toMatch(/^tokenizer\.json: /);
    expect((error as LabError).message).toMatch(pattern);
  };

  it('a model.vocab that is a number or a string', () => {
    for (const vocab of [2 ** 53 + 2, 'xxxx']) {
      const json = real();
      json.model.vocab = vocab;
      refused(json, /model\.vocab is .*it must be an object \(piece → id\) or a list/);
    }
  });

  it('a token id that is not a whole number ≥ 0 (the package would emit -0.5 and fail to decode it)', () => {
    const json = real();
    json.added_tokens[1].id = -0.5;
    refused(json, /added token "<s>" has id -0\.5; token ids must be whole numbers ≥ 0/);
    const vocab = real();
    vocab.model.vocab.a = '7';
    expect(() => tokenizerJsonMaxId(vocab, 'm/tokenizer.json')).toThrow(/^m\/tokenizer\.json: corrupt: token 'a' of model\.vocab has id "7"/);
  });

  it('a broken post_processor fails at load (the probe encode), not on first use', () => {
    for (const broken of [-0.5, { ...real().post_processor, single: [0] }, { ...real().post_processor, single: [{ SpecialToken: null }] }]) {
      const json = real();
      json.post_processor = broken;
      refused(json, /cannot be loaded|cannot encode text/);
    }
  });

  it('a Replace normalizer writing 1 MiB for every space (BPE on megabytes: minutes) is refused by name', () => {
    const json = real();
    const replace = json.normalizer.normalizers.find((n: { type: string }) => n.type === 'Replace');
    replace.content = 'x'.repeat(1 << 20);
    refused(json, /the normalizer Replace step's content is 1048576 characters; it must be a string of at most 16 characters/);
  });
});
