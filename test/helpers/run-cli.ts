// The CLI (`src/cli/main.ts`) as a child process: exit status, stdout's last line, stderr.

import { spawnSync } from 'node:child_process';
import { repoRoot } from './model-files';

export function runCli(...args: string[]): { status: number | null; last: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repoRoot, encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, last: lines[lines.length - 1], stderr: r.stderr };
}
