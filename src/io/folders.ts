// Output folders, made one level at a time: Node 20's mkdirSync in recursive mode never returns for a
// folder that cannot be made under /proc (it spins at full CPU), where one level at a time fails at once.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
      // Its parent exists by now, so ENOENT means the file system takes no new folders there (/proc).
      const why = err.code === 'ENOENT' ? `${dirname(d)} takes no new folders` : writeReason(dirname(d), err);
      throw new Error(`cannot create the folder ${d}: ${why}; choose a folder you can write to`);
    }
  }
}
