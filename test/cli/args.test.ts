import { describe, expect, it } from 'vitest';
import { boolFlag, intFlag, parseArgs, stringFlag } from '../../src/cli/args';
import { LabError } from '../../src/errors';

describe('parseArgs', () => {
  it('reads the command, valued flags, boolean flags and --name=value', () => {
    const args = parseArgs(['eval', '--model', 'dir', '--json', '--seq-len=128', '--max-windows', '4']);
    expect(args.command).toBe('eval');
    expect(stringFlag(args, 'model')).toBe('dir');
    expect(boolFlag(args, 'json')).toBe(true);
    expect(intFlag(args, 'seq-len', 256)).toBe(128);
    expect(intFlag(args, 'max-windows', undefined)).toBe(4);
    expect(intFlag(args, 'runs', 5)).toBe(5);
  });

  it('rejects bad values with a bad-argument LabError naming the flag', () => {
    const args = parseArgs(['eval', '--seq-len', 'abc', '--runs', '0']);
    expect(() => intFlag(args, 'seq-len', 256)).toThrow(/--seq-len must be an integer/);
    expect(() => intFlag(args, 'runs', 5)).toThrow(LabError);
    expect(() => stringFlag(args, 'model')).toThrow(/--model <value> is required/);
    expect(() => parseArgs(['eval', 'extra'])).toThrow(/unexpected argument 'extra'/);
  });

  it('gives positionals to the commands that take them; --json never swallows the next word', () => {
    const args = parseArgs(['runs', 'merge', 'a/', '--json', 'b/', '--out', 'runs.json'], new Set(['runs']));
    expect(args.positionals).toEqual(['merge', 'a/', 'b/']);
    expect(boolFlag(args, 'json')).toBe(true);
    expect(stringFlag(args, 'out')).toBe('runs.json');
    expect(boolFlag(parseArgs(['eval', '--json', 'true']), 'json')).toBe(true);
    expect(() => parseArgs(['eval', 'a/'], new Set(['runs']))).toThrow(/unexpected argument 'a\/'/);
  });
});
