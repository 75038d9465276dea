// `lab sweep` and `lab runs merge` in this process (the command functions, as main.ts calls them): a sweep
// split into 3 shards and merged equals the same sweep as 1 shard (ids and every figure); a re-run shard
// skips what it has; bad manifests, bad --shard and bad JSONL lines fail naming the file and the field/line.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args';
import { commands } from '../../src/cli/commands';
import type { MergeOutput } from '../../src/cli/runs-merge';
import type { SweepOutput } from '../../src/cli/sweep-command';
import { LabError } from '../../src/errors';
import { Lab } from '../../src/lab/lab';
import type { RunRecord } from '../../src/store/run-record';
import { parseRunsJson } from '../../src/store/runs-import';
import { stories260KDir, tinyStoriesPath } from '../helpers/model-files';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-sweep-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const story = fs.readFileSync(tinyStoriesPath, 'utf8');
fs.writeFileSync(path.join(work, 'calib.txt'), story.slice(0, 50_000));
fs.writeFileSync(path.join(work, 'heldout.txt'), story.slice(-30_000));

const sweep = {
  model: path.relative(work, stories260KDir), // relative to the manifest's folder
  methods: ['magnitude', 'wanda', 'sleb'],
  ratios: [0.2, 0.4],
  calib: 'calib.txt',
  calibWindows: 4,
  seqLen: 64,
  eval: 'heldout.txt',
  evalWindows: 2,
};

function manifest(name: string, content: unknown): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const log: string[] = [];
const argsOf = (...argv: string[]) => parseArgs(argv, new Set(['runs']));

/** One command run as main.ts does it, in a fresh Lab (a fresh machine). */
async function lab<T>(...argv: string[]): Promise<T> {
  const args = argsOf(...argv);
  const instance = new Lab({ preferWebGpu: false, loadText: async () => { throw new Error('bundled text not expected'); } });
  try {
    return (await commands[args.command!].run(instance, args, (line) => log.push(line))) as T;
  } finally {
    await instance.dispose();
  }
}

async function failure(...argv: string[]): Promise<LabError> {
  const error = await lab(...argv).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LabError);
  return error as LabError;
}

/** What a run measured: everything but its wall-clock fields. */
const figures = ({ finishedAtMs: _f, elapsedMs: _e, ...rest }: RunRecord) => rest;

describe('lab sweep + runs merge', () => {
  it('3 shards merged = 1 shard: same run ids in manifest order, same ppl, sparsity, removed blocks', async () => {
    const file = manifest('sweep.json', sweep);
    const one = await lab<SweepOutput>('sweep', '--manifest', file, '--shard', '0/1', '--out', path.join(work, 'one'));
    expect(one).toMatchObject({ runs: 6, shardRuns: 6, skipped: [] });
    const shards: SweepOutput[] = [];
    for (const i of [0, 1, 2]) shards.push(await lab<SweepOutput>('sweep', '--manifest', file, '--shard', `${i}/3`, '--out', path.join(work, 'three')));
    expect(shards.map((s) => s.ran.length)).toEqual([2, 2, 2]);
    expect(fs.readdirSync(path.join(work, 'three')).sort()).toEqual([0, 1, 2].map((i) => `runs-shard-${i}-of-3.jsonl`));
    // Shard i holds the runs with index % 3 === i.
    expect(shards[1].ran.map((id) => Number(id.split('-')[3]))).toEqual([1, 4]);

    // A re-queued task: everything already there is skipped, nothing appended.
    const shardFile = path.join(work, 'three', 'runs-shard-1-of-3.jsonl');
    const before = fs.readFileSync(shardFile, 'utf8');
    fs.appendFileSync(shardFile, '{"id":"sweep-'); // a task killed mid-write leaves a cut-off line: dropped on resume
    const again = await lab<SweepOutput>('sweep', '--manifest', file, '--shard', '1/3', '--out', path.join(work, 'three'));
    expect(again).toMatchObject({ ran: [], skipped: shards[1].ran });
    expect(fs.readFileSync(shardFile, 'utf8')).toBe(before);

    const mergedOne = await lab<MergeOutput>('runs', 'merge', path.join(work, 'one'), '--out', path.join(work, 'one.json'));
    const mergedThree = await lab<MergeOutput>('runs', 'merge', path.join(work, 'three'), '--out', path.join(work, 'three.json'), '--json');
    expect(mergedThree).toMatchObject({ runs: 6, duplicates: 0, missing: {} });
    expect(mergedOne.runs).toBe(6);
    const runsOne = parseRunsJson(fs.readFileSync(path.join(work, 'one.json'), 'utf8'), 'one.json');
    const runsThree = parseRunsJson(fs.readFileSync(path.join(work, 'three.json'), 'utf8'), 'three.json');
    expect(runsThree.map((r) => r.id)).toEqual(runsOne.map((r) => r.id));
    expect(runsThree.map((r) => r.sweep!.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(runsThree.map((r) => `${r.methodId} ${JSON.stringify(r.params)}`)).toEqual([
      'magnitude {"sparsity":0.2,"pattern":"unstructured"}',
      'magnitude {"sparsity":0.4,"pattern":"unstructured"}',
      'wanda {"sparsity":0.2,"pattern":"unstructured"}',
      'wanda {"sparsity":0.4,"pattern":"unstructured"}',
      'sleb {"blocks":1,"protectEnds":true}', // ceil(5 · 0.2), as `lab prune --ratio`
      'sleb {"blocks":2,"protectEnds":true}',
    ]);
    expect(runsThree.map(figures)).toEqual(runsOne.map(figures));
    for (const run of runsThree) {
      expect(run.modelKey).toBe(one.modelKey);
      expect(run.modelKey).toMatch(/^[0-9a-f]{16}$/);
      expect(run.pplAfter).toBeGreaterThan(run.pplBefore!);
      expect(run.pplWindows).toBe(2);
      expect(run.calibration).toMatchObject({ windows: run.methodId === 'magnitude' ? 0 : 4, seqLen: 64 }); // magnitude is data-free
    }
    expect(runsThree[5].removedBlocks).toHaveLength(2);
    expect(Math.abs(runsThree[3].overallSparsity - 0.4)).toBeLessThan(0.01);
    expect(log.some((line) => /^\[sweep\] run 2\/2 \(#4\) .*: already done, skipped$/.test(line))).toBe(true);
  });

  it('a bad manifest or --shard fails with bad-argument naming the manifest file and field', async () => {
    const out = path.join(work, 'bad-out');
    const cases: [unknown, RegExp][] = [
      [{ ...sweep, ratios: [0.5, 2] }, /"ratios\[1\]" must be numbers in \(0, 1\), got 2/],
      [{ ...sweep, ratios: [0.5, 0.5] }, /"ratios\[1\]" repeats 0.5/],
      [{ ...sweep, calib_windows: 4 }, /"calib_windows" is not a manifest field/],
      [{ ...sweep, methods: ['wanda', 'wandaa'] }, /"methods\[1\]" 'wandaa' is not a pruning method; known: magnitude, wanda/],
      [{ ...sweep, methods: [] }, /"methods" must be a non-empty list/],
      [{ ...sweep, seqLen: 1 }, /"seqLen" must be a whole number ≥ 2, got 1/],
      [{ ...sweep, params: { wanda: { sparsty: 0.5 } } }, /"params\.wanda\.sparsty" is not a parameter of wanda/],
      [{ ...sweep, methods: ['drop-blocks'] }, /"ratios" \(run 0: drop-blocks ratio 0.2\): --ratio does not apply to drop-blocks/],
      [{ ...sweep, model: undefined }, /"model" is required/],
      ['{ "model": ', /not a JSON manifest/],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const file = manifest(`bad-${i}.json`, content);
      const error = await failure('sweep', '--manifest', file, '--shard', '0/2', '--out', out);
      expect(error.code).toBe('bad-argument');
      expect(error.message).toContain(file);
      expect(error.message).toMatch(message);
    }
    const good = manifest('good.json', sweep);
    for (const [shard, message] of [['3/3', /i must be below n/], ['0/0', /n must be at least 1/], ['1', /--shard must be i\/n/]] as const)
      expect((await failure('sweep', '--manifest', good, '--shard', shard, '--out', out)).message).toMatch(message);
    expect((await failure('sweep', '--manifest', path.join(work, 'nope.json'), '--out', out)).code).toBe('missing-file');
    expect(fs.existsSync(path.join(out, 'runs-shard-0-of-2.jsonl'))).toBe(false);
  });

  it('runs merge: a bad line fails naming the file and line number', async () => {
    const line = fs.readFileSync(path.join(work, 'three', 'runs-shard-0-of-3.jsonl'), 'utf8').split('\n')[0];
    const dir = path.join(work, 'broken', 'nested');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'runs-shard-0-of-1.jsonl');
    fs.writeFileSync(file, `${line}\n\n{"id": "x",\n`);
    let error = await failure('runs', 'merge', path.join(work, 'broken'), '--out', path.join(work, 'broken.json'));
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not a JSON line`));
    const { pplAfter: _dropped, ...lacking } = JSON.parse(line);
    fs.writeFileSync(file, `${line}\n${JSON.stringify({ ...lacking, id: 'other' })}\n`);
    error = await failure('runs', 'merge', path.join(work, 'broken'), '--out', path.join(work, 'broken.json'));
    expect(error.message).toBe(`${file}:2: pplAfter is missing`);
    fs.writeFileSync(file, `${line}\n${JSON.stringify({ ...lacking, id: 'other', pplAfter: 'high' })}\n`);
    error = await failure('runs', 'merge', path.join(work, 'broken'), '--out', path.join(work, 'broken.json'));
    expect(error.message).toMatch(new RegExp(`:2: pplAfter must be a number or null, got "high"$`));
    expect(fs.existsSync(path.join(work, 'broken.json'))).toBe(false);
    expect((await failure('runs', 'combine', work, '--out', 'x.json')).message).toMatch(/unknown subcommand 'combine'/);
  });
});
