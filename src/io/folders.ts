// Output folders, made one level at a time: Node 20's mkdirSync in recursive mode never returns for a
// folder that cannot be made under /proc (it spins at full CPU), where one level at a time fails at once.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeReason } from './errno.js';

/**
 * Creates `dir` and its missing parents, as `mkdir -p`. A folder that already exists, or appears
 * meanwhile (another rank made it), is fine.
 * @throws Error naming the first folder that could not be made, the system's reason and how to fix it.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EEXIST') continue;
      throw new Error(`cannot create the folder ${d}: ${writeReason(dirname(d), err)}; choose a folder you can write to`);
    }
  }
}

/**
 * Readies the file a command will write, before any work goes into it: makes its folder (makeFolders)
 * and refuses a path that is an existing folder, which would otherwise fail with EISDIR at the end.
 * @param flag how the user named it, for the message (e.g. '--out')
 * @param example a file name to suggest inside the folder, e.g. 'submission.csv'
 * @throws Error naming the flag, the path and the fix
 */
export function prepareOutputFile(path: string, flag: string, example: string): void {
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory()) {
    throw new Error(`${flag} ${path} is a folder; name the file to write, e.g. ${flag} ${join(path, example)}`);
  }
  makeFolders(dirname(full));
}
