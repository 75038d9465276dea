// Turns a model folder on disk into ModelFileRefs (lazy Blobs: fs.openAsBlob reads on demand,
// so a large model is never held twice). Node only.

import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors';
import type { ModelFileRef } from '../model/loaded-model';

const MAX_FILES = 2000;

export async function readModelDir(dir: string): Promise<ModelFileRef[]> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new LabError('missing-file', `${dir}: no such file or folder`);
  }
  const paths = stat.isDirectory() ? listFiles(dir) : [path.basename(dir)];
  const root = stat.isDirectory() ? dir : path.dirname(dir);
  const refs: ModelFileRef[] = [];
  for (const rel of paths) {
    const absolute = path.join(root, rel);
    const blob = await fs.openAsBlob(absolute);
    refs.push({ path: rel.split(path.sep).join('/'), blob, readSync: fileReader(absolute), diskPath: path.resolve(absolute) });
  }
  return refs;
}

/** Synchronous range reads (weights stay on disk until a tensor is used; see model/stored-weight.ts). */
function fileReader(absolute: string): (offset: number, length: number) => Uint8Array {
  return (offset, length) => {
    const out = new Uint8Array(length);
    const fd = fs.openSync(absolute, 'r');
    try {
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new LabError('truncated', `${absolute}: truncated: ended before byte ${offset + length}`, { path: absolute });
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    return out;
  };
}

/**
 * Every file under `root`, links followed: a Hugging Face cache snapshot (snapshots/<rev>/config.json →
 * ../../blobs/<sha>) is a folder of symlinks. A broken link is an error naming it; a link back into a
 * folder already walked is skipped (no loop).
 */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walkedFolders = new Set<string>();
  const walk = (rel: string) => {
    const folder = path.join(root, rel);
    const real = fs.realpathSync(folder);
    if (walkedFolders.has(real)) return;
    walkedFolders.add(real);
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = rel ? path.join(rel, entry.name) : entry.name;
      const kind = entry.isSymbolicLink() ? linkTarget(root, child) : entry;
      if (kind.isDirectory()) walk(child);
      else if (kind.isFile()) out.push(child);
      if (out.length > MAX_FILES) throw new LabError('bad-argument', `${root}: more than ${MAX_FILES} files; point --model at the model folder`);
    }
  };
  walk('');
  return out.sort();
}

function linkTarget(root: string, rel: string): fs.Stats {
  const absolute = path.join(root, rel);
  try {
    return fs.statSync(absolute);
  } catch {
    const target = fs.readlinkSync(absolute);
    throw new LabError('missing-file', `${rel}: a broken link (→ ${target}); the file it points to is missing`, { path: rel, target });
  }
}
