// Output folders, made one level at a time: Node 20's mkdirSync in recursive mode never returns for a
// folder that cannot be made under /proc (it spins at full CPU), where one level at a time fails at once.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { replaceFolder, tempFolder, tempPath } from './atomic.js';
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
 * Makes the folder that will hold `target` (a file or a folder to be written whole, through a temporary
 * name beside it) and checks that it takes something new, by creating and removing a temporary file
 * there: a folder under /proc, on a read-only mount or without permission fails here, before any work
 * goes into the output, and the error names the target as the user gave it, not a temporary name.
 * @param what how the user named the target, e.g. `--out /proc/x.csv`
 * @throws Error `${what}: cannot write: why; choose a folder you can write to`
 */
export function prepareParent(target: string, what: string): void {
  const full = resolve(target);
  try {
    makeFolders(dirname(full));
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  const probe = tempPath(full);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new Error(`${what}: cannot write: ${writeReason(dirname(full), e)}; choose a folder you can write to`);
  }
  rmSync(probe, { force: true });
}

/** An input a command reads, as the user named it: [flag, path], e.g. ['--images', 'test/images']. */
export type NamedInput = readonly [flag: string, path: string | undefined];

/**
 * Refuses an output that would destroy an input: a file that is one, or a folder (replaced whole) that
 * is or holds one. With --force a pseudo-label --out naming its --images deleted the tiles it read.
 */
function refuseInputs(full: string, flag: string, path: string, inputs: readonly NamedInput[], o: { kind: 'file' | 'folder'; whole: boolean }): void {
  for (const [inFlag, inPath] of inputs) {
    if (inPath === undefined) continue;
    const p = resolve(inPath);
    if (p === full || (o.whole && p.startsWith(full + sep))) {
      throw new Error(`${flag} ${path} ${p === full ? 'is' : 'holds'} ${inFlag} ${inPath}, which writing it would destroy; name another ${o.kind} (nothing was written)`);
    }
  }
}

/**
 * Readies the file a command will write, before any work goes into it: refuses a path that is a folder
 * (it would fail with EISDIR at the end), one of the command's inputs, and an existing file unless
 * `force` (a submission written over a data set's train.csv is lost data), then readies its folder
 * (prepareParent).
 * @param flag how the user named it, for the message (e.g. '--out')
 * @param example a file name to suggest inside the folder, e.g. 'submission.csv'
 * @throws Error naming the flag, the path and the fix
 */
export function prepareOutputFile(path: string, flag: string, example: string, o: { force?: boolean; inputs?: readonly NamedInput[] } = {}): void {
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory()) {
    throw new Error(`${flag} ${path} is a folder; name the file to write, e.g. ${flag} ${join(path, example)}`);
  }
  refuseInputs(full, flag, path, o.inputs ?? [], { kind: 'file', whole: false });
  if (existsSync(full) && !o.force) throw new Error(`${flag} ${path} already exists; name a new file, or pass --force to replace it (nothing was written)`);
  prepareParent(full, `${flag} ${path}`);
}

/**
 * Readies a folder a command will write whole (a temporary folder beside it, then replaceFolder):
 * refuses a file, a folder that is or holds one of the command's inputs or the working folder, and a
 * non-empty one unless `force`, then readies its parent (prepareParent).
 * @throws Error naming the flag, the path and the fix
 */
export function prepareOutputFolder(path: string, flag: string, o: { force?: boolean; inputs?: readonly NamedInput[] } = {}): void {
  const full = resolve(path);
  if (existsSync(full) && !statSync(full).isDirectory()) throw new Error(`${flag} ${path} is a file; name a folder to write`);
  // The folder the user works in is never replaced, even with --force (`--out . --force` would take it all).
  refuseInputs(full, flag, path, [...(o.inputs ?? []), ['the folder you are working in,', process.cwd()]], { kind: 'folder', whole: true });
  if (existsSync(full) && readdirSync(full).length && !o.force) throw new Error(`${flag} ${path} already exists; name a new folder, or pass --force to replace it (nothing was written)`);
  prepareParent(full, `${flag} ${path}`);
}

/**
 * Writes the folder `out` whole: `fill` writes into a fresh temporary folder beside it, which then
 * replaces any folder at `out` (replaceFolder). If `fill` throws, the temporary folder is removed and
 * `out` is left as it was. Call prepareOutputFolder first. Returns what `fill` returns.
 * @throws what `fill` throws; Error naming the folder when it cannot be made
 */
export function writeFolderWhole<T>(out: string, fill: (tmp: string) => T): T {
  const full = resolve(out), tmp = tempFolder(full);
  rmSync(tmp, { recursive: true, force: true });
  try {
    makeFolders(tmp);
    const result = fill(tmp);
    replaceFolder(tmp, full);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Readies a folder that files will be written into, one by one, after the work (predict's --masks and
 * --png): refuses a file and one of the command's inputs, and checks that it, or its parent when it is
 * still to be made, takes new files. Only missing parents are made now; the folder itself when its files are.
 * @throws Error naming the flag, the path and the fix
 */
export function prepareFilesFolder(path: string, flag: string, inputs: readonly NamedInput[] = []): void {
  const full = resolve(path);
  if (!existsSync(full)) return prepareParent(full, `${flag} ${path}`);
  if (!statSync(full).isDirectory()) throw new Error(`${flag} ${path} is a file; name a folder for the files`);
  refuseInputs(full, flag, path, inputs, { kind: 'folder', whole: false });
  prepareParent(join(full, 'probe'), `${flag} ${path}`);
}
