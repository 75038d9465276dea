// `npm run --silent lab -- <command> ...`: the lab's engine from Node (onnxruntime-web WASM).
// With --json the last line of stdout is one JSON object; errors exit 1 with a one-line message.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError, toLabErrorData } from '../errors';
import { BUNDLED_FILES } from '../lab/bundled-data';
import { Lab } from '../lab/lab';
import type { ModelSummary } from '../lab/lab-api';
import { useNativeOrt } from '../runtime/native-ort';
import { PRECISION_REQUESTS, type NativeBackend, type PrecisionRequest } from '../runtime/ort';
import { boolFlag, choiceFlag, parseArgs, type ParsedArgs } from './args';
import { commands } from './commands';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type CliBackend = NativeBackend | 'wasm';
/** --backend: 'cpu' (onnxruntime-node, all cores; the default), 'cuda' (onnxruntime-node's CUDA provider) or 'wasm' (onnxruntime-web). */
const CLI_BACKENDS: CliBackend[] = ['cpu', 'cuda', 'wasm'];

/** --memory-limit-gb G: jobs are checked against at most G × 10⁹ bytes (headroom below the machine's free memory). */
export function parseMemoryLimitGb(raw: string | boolean | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const gb = typeof raw === 'string' ? Number(raw) : NaN;
  if (!(gb > 0) || !Number.isFinite(gb)) throw new LabError('bad-argument', `--memory-limit-gb must be a positive number of GB, got '${raw === true ? '' : String(raw)}'`);
  return gb * 1e9;
}

export function createNodeLab(threads?: number, backend: CliBackend = 'cpu', memoryLimitBytes?: number, precision: PrecisionRequest = 'auto', allowMismatch = false): Lab {
  let nativeBackend: NativeBackend | undefined;
  if (backend !== 'wasm') {
    if (!useNativeOrt()) throw new LabError('backend-unavailable', `--backend ${backend} needs the onnxruntime-node package, which could not be loaded; use --backend wasm`);
    nativeBackend = backend;
  }
  return new Lab({
    preferWebGpu: false,
    nativeBackend,
    precision,
    allowMismatch,
    numThreads: threads,
    memoryLimitBytes,
    systemMemory: () => ({ freeBytes: os.freemem(), totalBytes: os.totalmem() }),
    loadText: async (id) => fs.readFileSync(path.join(repoRoot, 'public/data', BUNDLED_FILES[id]), 'utf8'),
  });
}

/** A model loaded with --allow-mismatch flags the command's result (`importMismatch` in --json) and warns on stderr. */
function flagMismatch(result: unknown, summary: ModelSummary | null, log: (line: string) => void): unknown {
  if (!summary?.mismatchAllowed || !summary.importCheck) return result;
  const { maxAbsDiff, tolerance, referenceFile } = summary.importCheck;
  log(`WARNING: loaded with --allow-mismatch: the import check against ${referenceFile} failed (max |Δlogit| ${maxAbsDiff.toExponential(2)}, allowed ${tolerance.toExponential(0)}); these results may be wrong`);
  const flag = { referenceFile, maxAbsDiff: Number.isFinite(maxAbsDiff) ? maxAbsDiff : null, tolerance };
  return result !== null && typeof result === 'object' && !Array.isArray(result) ? { ...result, importMismatch: flag } : result;
}

async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs | null = null;
  try {
    args = parseArgs(argv, new Set(Object.keys(commands).filter((name) => commands[name].positionals)));
    const name = args.command;
    if (!name || name === 'help' || args.flags.has('help')) {
      process.stdout.write(usage());
      return name ? 0 : 1;
    }
    const command = commands[name];
    if (!command) throw new LabError('bad-argument', `unknown command '${name}'; try: ${Object.keys(commands).join(', ')}`);
    const threadsRaw = args.flags.get('threads');
    const lab = createNodeLab(typeof threadsRaw === 'string' ? Number(threadsRaw) : undefined, choiceFlag(args, 'backend', CLI_BACKENDS, 'cpu'), parseMemoryLimitGb(args.flags.get('memory-limit-gb')), choiceFlag(args, 'precision', PRECISION_REQUESTS, 'auto'), boolFlag(args, 'allow-mismatch'));
    try {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const result = flagMismatch(await command.run(lab, args, log), await lab.modelSummary(), log);
      if (boolFlag(args, 'json')) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`${command.format(result as never)}\n`);
    } finally {
      await lab.dispose();
    }
    return 0;
  } catch (error) {
    const data = toLabErrorData(error);
    process.stderr.write(`error [${data.code}]: ${data.message}\n`);
    if (args && boolFlag(args, 'json')) process.stdout.write(`${JSON.stringify({ error: data })}\n`);
    return 1;
  }
}

function usage(): string {
  const lines = ['usage: npm run --silent lab -- <command> [flags] [--json]', ''];
  for (const [name, command] of Object.entries(commands)) lines.push(`  ${name.padEnd(9)} ${command.usage}`);
  lines.push('', 'common flags: --allow-mismatch (load a model whose import check fails; results are flagged), --backend cpu|cuda|wasm (default cpu: onnxruntime-node on all cores), --precision auto|fp32|fp16, --threads N (WASM threads), --memory-limit-gb G (check jobs against at most G GB), --json (last stdout line is JSON)', '');
  return lines.join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error [internal]: ${String(error)}\n`);
    process.exit(1);
  },
);
