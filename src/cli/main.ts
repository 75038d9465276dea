// `npm run --silent lab -- <command> ...`: the lab's engine from Node (onnxruntime-web WASM).
// With --json the last line of stdout is one JSON object; errors exit 1 with a one-line message.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError, toLabErrorData } from '../errors';
import { Lab } from '../lab/lab';
import { useNativeOrt } from '../runtime/native-ort';
import type { NativeBackend, PrecisionRequest } from '../runtime/ort';
import { boolFlag, parseArgs, type ParsedArgs } from './args';
import { commands } from './commands';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundledTexts = { tinystories: 'tinystories-valid-sample.txt', wikitext2: 'wikitext-2-raw-test.txt' } as const;

export type CliBackend = NativeBackend | 'wasm';
const CLI_BACKENDS: CliBackend[] = ['cpu', 'cuda', 'wasm'];

/** --backend: 'cpu' (onnxruntime-node, all cores; the default), 'cuda' (onnxruntime-node's CUDA provider) or 'wasm' (onnxruntime-web). */
export function parseBackend(raw: string | boolean | undefined): CliBackend {
  if (raw === undefined) return 'cpu';
  if (typeof raw !== 'string' || !CLI_BACKENDS.includes(raw as CliBackend))
    throw new LabError('bad-argument', `--backend must be one of ${CLI_BACKENDS.join(', ')}; got ${String(raw)}`);
  return raw as CliBackend;
}

/** --memory-limit-gb G: jobs are checked against at most G × 10⁹ bytes (headroom below the machine's free memory). */
export function parseMemoryLimitGb(raw: string | boolean | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const gb = typeof raw === 'string' ? Number(raw) : NaN;
  if (!(gb > 0) || !Number.isFinite(gb)) throw new LabError('bad-argument', `--memory-limit-gb must be a positive number of GB, got '${raw === true ? '' : String(raw)}'`);
  return gb * 1e9;
}

const PRECISIONS: PrecisionRequest[] = ['auto', 'fp32', 'fp16'];

/** --precision auto|fp32|fp16: weight-matrix precision (auto: fp16 on cuda, fp32 on cpu and wasm). */
export function parsePrecision(raw: string | boolean | undefined): PrecisionRequest {
  if (raw === undefined) return 'auto';
  if (typeof raw !== 'string' || !PRECISIONS.includes(raw as PrecisionRequest))
    throw new LabError('bad-argument', `--precision must be one of ${PRECISIONS.join(', ')}; got ${String(raw)}`);
  return raw as PrecisionRequest;
}

export function createNodeLab(threads?: number, backend: CliBackend = 'cpu', memoryLimitBytes?: number, precision: PrecisionRequest = 'auto'): Lab {
  let nativeBackend: NativeBackend | undefined;
  if (backend !== 'wasm') {
    if (!useNativeOrt()) throw new LabError('backend-unavailable', `--backend ${backend} needs the onnxruntime-node package, which could not be loaded; use --backend wasm`);
    nativeBackend = backend;
  }
  return new Lab({
    preferWebGpu: false,
    nativeBackend,
    precision,
    numThreads: threads,
    memoryLimitBytes,
    systemMemory: () => ({ freeBytes: os.freemem(), totalBytes: os.totalmem() }),
    loadText: async (id) => fs.readFileSync(path.join(repoRoot, 'public/data', bundledTexts[id]), 'utf8'),
  });
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
    const lab = createNodeLab(typeof threadsRaw === 'string' ? Number(threadsRaw) : undefined, parseBackend(args.flags.get('backend')), parseMemoryLimitGb(args.flags.get('memory-limit-gb')), parsePrecision(args.flags.get('precision')));
    try {
      const result = await command.run(lab, args, (line) => process.stderr.write(`${line}\n`));
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
  lines.push('', 'common flags: --backend cpu|cuda|wasm (default cpu: onnxruntime-node on all cores), --precision auto|fp32|fp16, --threads N (WASM threads), --memory-limit-gb G (check jobs against at most G GB), --json (last stdout line is JSON)', '');
  return lines.join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error [internal]: ${String(error)}\n`);
    process.exit(1);
  },
);
