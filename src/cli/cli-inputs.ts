// What the CLI's commands read from disk: a model folder into the Lab (progress to the log), a text file.

import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { Lab } from '../lab/lab';
import type { ModelSummary } from '../lab/lab-api';
import { readModelDir } from './read-model-dir';

export type Log = (line: string) => void;

/** Loads the folder (or file) `dir` into the lab, logging each stage and the import check. */
export async function loadModel(lab: Lab, dir: string, log: Log): Promise<ModelSummary> {
  const files = await readModelDir(dir);
  let lastStage = '';
  const summary = await lab.loadModel(files, {
    onProgress: (p) => {
      if (p.stage !== lastStage) log(`[load] ${p.stage}: ${p.message}`);
      lastStage = p.stage;
    },
  });
  const check = summary.importCheck;
  log(
    `[load] ${summary.name}: ${summary.numLayers} layers, ${(summary.parameters / 1e6).toFixed(3)}M parameters, ${summary.layout}` +
      (check ? `, import check max |Δlogit| ${check.maxAbsDiff.toExponential(2)}` : ''),
  );
  return summary;
}

export function readText(file: string): { kind: 'file'; name: string; text: string } {
  try {
    return { kind: 'file', name: path.basename(file), text: fs.readFileSync(file, 'utf8') };
  } catch {
    throw new LabError('missing-file', `${file}: no such text file`);
  }
}
