// Runs as CSV (RFC 4180 quoting, header + one row per run) and JSON (round trip of the records).

import { describe, expect, it } from 'vitest';
import { realisedSparsity, runRatio, targetRatio, type RunRecord } from '../../src/store/run-record';
import { csvField, runsCsvHeader, runsToCsv, runsToJson } from '../../src/store/runs-csv';

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: 'run-1', finishedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5), modelName: 'stories260K', modelKey: 'abcd0123',
    methodId: 'drop-blocks', methodLabel: 'Drop blocks', methodKind: 'blocks', params: { blocks: '1,3' },
    calibration: { windows: 4, seqLen: 64, sampling: 'first', seed: 0, textName: 'tinystories' },
    overallSparsity: 0, layersBefore: 5, layersAfter: 3, parametersBefore: 260_000, parametersAfter: 200_000,
    pplBefore: 4.5, pplAfter: 6.25, pplWindows: 1, pplSeqLen: 64, pplTextName: 'wikitext2',
    decodeTokensPerSDense: null, decodeTokensPerSPruned: null, prefillMsDense: null, prefillMsPruned: null, speedAdapter: null,
    elapsedMs: 1234, removedBlocks: [1, 3], blockSparsity: [0, 0, 0],
    ...overrides,
  };
}

/** A small RFC 4180 reader for the test: quoted fields may hold , " CR LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('csvField', () => {
  it('leaves plain text alone and quotes , " CR LF, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(1.5)).toBe('1.5');
    expect(csvField(null)).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });
});

describe('runsToCsv', () => {
  it('a header row and one row per run, CRLF line ends, fields that survive a parse', () => {
    const runs = [run({}), run({ id: 'run-2', modelName: 'my "tiny", model\nv2', pplBefore: null, pplAfter: null })];
    const csv = runsToCsv(runs);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual(runsCsvHeader);
    for (const row of rows) expect(row).toHaveLength(runsCsvHeader.length);
    const col = (name: string) => runsCsvHeader.indexOf(name);
    expect(rows[1][col('params')]).toBe('blocks=1,3');
    expect(rows[1][col('ratio')]).toBe('0.4');
    expect(rows[1][col('ppl_delta')]).toBe('1.75');
    expect(rows[1][col('removed_blocks')]).toBe('1 3');
    expect(rows[1][col('finished_at')]).toBe('2026-01-02T03:04:05.000Z');
    expect(rows[2][col('model_name')]).toBe('my "tiny", model\nv2');
    expect(rows[2][col('ppl_after')]).toBe('');
    expect(rows[2][col('ppl_delta')]).toBe('');
  });

  it('prefill ms, fp32 bytes after, calibration and generated text (quoted when they hold , " or newlines); absent fields empty', () => {
    const generated = run({
      prefillMsDense: 12.5, prefillMsPruned: 8.25, fp32BytesAfter: 123_456,
      generation: { prompt: 'Once upon a time', dense: 'Once upon a time, there was "Lily".\nShe', pruned: 'Once upon a time, the the' },
    });
    const old = run({ id: 'old' }); // a record stored before fp32BytesAfter / generation existed
    const rows = parseCsv(runsToCsv([generated, old]));
    const col = (name: string) => runsCsvHeader.indexOf(name);
    for (const name of ['prefill_ms_dense', 'prefill_ms_pruned', 'fp32_bytes_after', 'calibration', 'generated_text_dense', 'generated_text_pruned']) expect(col(name)).toBeGreaterThanOrEqual(0);
    expect(rows[1][col('prefill_ms_dense')]).toBe('12.5');
    expect(rows[1][col('prefill_ms_pruned')]).toBe('8.25');
    expect(rows[1][col('fp32_bytes_after')]).toBe('123456');
    expect(rows[1][col('calibration')]).toBe('tinystories × 4');
    expect(rows[1][col('generated_text_dense')]).toBe('Once upon a time, there was "Lily".\nShe');
    expect(rows[1][col('generated_text_pruned')]).toBe('Once upon a time, the the');
    expect(rows[2][col('fp32_bytes_after')]).toBe('800000'); // parametersAfter × 4
    expect(rows[2][col('generated_text_dense')]).toBe('');
    expect(rows[2][col('prefill_ms_dense')]).toBe('');
  });

  it('realised_sparsity (0..1) beside target_ratio: the measured value, not the target; empty when not recorded', () => {
    const wanda = run({ id: 'wanda', methodId: 'wanda', methodLabel: 'Wanda', methodKind: 'sparsity', params: { sparsity: 0.7, pattern: 'unstructured' },
      overallSparsity: 0.69, removedBlocks: [], layersAfter: 5 });
    const blocks = run({}); // 2 of 5 blocks removed, kept blocks dense
    const old: Partial<RunRecord> = run({ id: 'old', methodKind: 'sparsity', params: { sparsity: 0.7 }, removedBlocks: [], layersAfter: 5 });
    delete old.overallSparsity; // as a record stored without it reads back
    const rows = parseCsv(runsToCsv([wanda, blocks, old as RunRecord]));
    const col = (name: string) => runsCsvHeader.indexOf(name);
    expect(col('realised_sparsity')).toBeGreaterThan(col('ratio'));
    expect(col('target_ratio')).toBeGreaterThan(col('ratio'));
    expect(rows[1][col('target_ratio')]).toBe('0.7');
    expect(rows[1][col('realised_sparsity')]).toBe('0.69');
    expect(rows[2][col('target_ratio')]).toBe('0.4');
    expect(rows[2][col('realised_sparsity')]).toBe('0.4');
    expect(rows[3][col('target_ratio')]).toBe('0.7');
    expect(rows[3][col('realised_sparsity')]).toBe('');
    expect(rows[3][col('overall_sparsity')]).toBe('');
  });

  it('no runs: only the header', () => {
    expect(parseCsv(runsToCsv([]))).toEqual([runsCsvHeader]);
  });
});

describe('runsToJson', () => {
  it('the records as stored, plus the derived targetRatio and realisedSparsity', () => {
    const runs = [run({}), run({ id: 'run-2', params: { sparsity: 0.5, perRow: true } })];
    const parsed = JSON.parse(runsToJson(runs)) as (RunRecord & { targetRatio: unknown; realisedSparsity: unknown })[];
    expect(parsed.map(({ targetRatio: _t, realisedSparsity: _r, ...stored }) => stored)).toEqual(runs);
    expect(parsed.map((r) => r.realisedSparsity)).toEqual([0.4, 0.4]);
  });

  it('realisedSparsity is the measured 0.69, targetRatio the asked 0.7; null when not recorded', () => {
    const wanda = run({ methodKind: 'sparsity', params: { sparsity: 0.7 }, overallSparsity: 0.69, removedBlocks: [], layersAfter: 5 });
    const old: Partial<RunRecord> = { ...wanda, id: 'old' };
    delete old.overallSparsity;
    const [a, b] = JSON.parse(runsToJson([wanda, old as RunRecord]));
    expect([a.targetRatio, a.realisedSparsity]).toEqual([0.7, 0.69]);
    expect([b.targetRatio, b.realisedSparsity]).toEqual([0.7, null]);
  });
});

describe('targetRatio / realisedSparsity', () => {
  const sparse = run({ methodKind: 'sparsity', params: { sparsity: 0.7 }, overallSparsity: 0.69, removedBlocks: [], layersAfter: 5 });

  it('sparsity methods: target = the sparsity param (N:M pattern → N/M), realised = overallSparsity', () => {
    expect(targetRatio(sparse)).toBe(0.7);
    expect(realisedSparsity(sparse)).toBe(0.69);
    expect(runRatio(sparse)).toBe(0.69); // the chart's x was already measured
    expect(targetRatio({ ...sparse, params: { sparsity: 0.7, pattern: '2:4' }, overallSparsity: 0.5 })).toBe(0.5);
    expect(targetRatio({ ...sparse, params: {} })).toBeNull();
  });

  it('block methods: the removed share of block-linear weights, counting zeros left in kept blocks', () => {
    const blocks = run({}); // 2 of 5 removed
    expect(targetRatio(blocks)).toBe(0.4);
    expect(realisedSparsity(blocks)).toBe(0.4);
    expect(realisedSparsity({ ...blocks, overallSparsity: 0.5 })).toBeCloseTo(1 - 0.6 * 0.5, 12);
    expect(realisedSparsity({ ...blocks, layersBefore: 0 })).toBeNull();
  });

  it('a record without overallSparsity has no realised sparsity', () => {
    const old: Partial<RunRecord> = { ...sparse };
    delete old.overallSparsity;
    expect(realisedSparsity(old as RunRecord)).toBeNull();
    expect(realisedSparsity({ ...sparse, overallSparsity: Number.NaN })).toBeNull();
  });
});
