// Minimal flag parser for the CLI: `--name value`, `--flag` (boolean), positional command first, then
// positionals for the commands that take them (`runs merge <dir>...`). Pure; no Node imports.

import { LabError } from '../errors';

export interface ParsedArgs {
  command: string | null;
  flags: Map<string, string | true>;
  /** Words after the command (only for commands in `positionalCommands`). */
  positionals: string[];
}

/** Flags that never take the next word as their value (unless it is true/false): `--json out/` keeps out/. */
const booleanFlags = new Set(['json', 'help', 'allow-mismatch']);

export function parseArgs(argv: string[], positionalCommands: ReadonlySet<string> = new Set()): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let command: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) {
        flags.set(arg.slice(2, eq), arg.slice(eq + 1));
        continue;
      }
      const next = argv[i + 1];
      const takesValue = !booleanFlags.has(arg.slice(2)) || next === 'true' || next === 'false';
      if (next !== undefined && !next.startsWith('--') && takesValue) {
        flags.set(arg.slice(2), next);
        i++;
      } else {
        flags.set(arg.slice(2), true);
      }
    } else if (command === null) {
      command = arg;
    } else if (positionalCommands.has(command)) {
      positionals.push(arg);
    } else {
      throw new LabError('bad-argument', `unexpected argument '${arg}'`);
    }
  }
  return { command, flags, positionals };
}

export function stringFlag(args: ParsedArgs, name: string, fallback?: string): string {
  const value = args.flags.get(name);
  if (value === undefined || value === true) {
    if (fallback !== undefined) return fallback;
    throw new LabError('bad-argument', `--${name} <value> is required`);
  }
  return value;
}

export function optionalStringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  if (value === true) throw new LabError('bad-argument', `--${name} needs a value`);
  return value;
}

/** An integer flag with bounds; `fallback` undefined means optional (returns undefined). */
export function intFlag(args: ParsedArgs, name: string, fallback: number | undefined, min = 1, max = 1 << 30): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return fallback;
  const value = raw === true ? NaN : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LabError('bad-argument', `--${name} must be an integer in [${min}, ${max}], got '${raw === true ? '' : raw}'`);
  }
  return value;
}

/** A number flag in (min, max]; `fallback` undefined means optional (returns undefined). */
export function numberFlag(args: ParsedArgs, name: string, fallback: number | undefined, min = 0, max = Infinity): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return fallback;
  const value = raw === true ? NaN : Number(raw);
  if (!Number.isFinite(value) || value <= min || value > max) throw new LabError('bad-argument', `--${name} must be a number in (${min}, ${max}], got '${raw === true ? '' : raw}'`);
  return value;
}

/** A flag taking one of `choices` (the fallback when absent); anything else is a bad-argument naming them. */
export function choiceFlag<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = args.flags.get(name);
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw))
    throw new LabError('bad-argument', `--${name} must be one of ${choices.join(', ')}; got ${String(raw)}`);
  return raw as T;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true || args.flags.get(name) === 'true';
}
