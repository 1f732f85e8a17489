// Outputs appear whole or not at all: write a temporary file beside the target, then rename.
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeReason } from './errno.js';

/** A fresh temporary path beside `path`, for writing it whole and then renaming. */
export function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
}

/** The temporary folder beside `out` that a folder written whole is made in, then renamed (replaceFolder). */
export function tempFolder(out: string): string {
  return `${out}.tmp-${process.pid}`;
}

/** Why a file cannot be created in its folder, in words that name the folder, not the temporary file. */
function cannotWrite(path: string, e: NodeJS.ErrnoException): Error {
  return new Error(`${path}: cannot write: ${writeReason(dirname(path), e)}`);
}

/** Writes `data` to `path` whole or not at all. Throws an Error naming `path` (never the temporary file). */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  const tmp = tempPath(path);
  const parts = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw cannotWrite(path, e as NodeJS.ErrnoException);
  }
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw (e as NodeJS.ErrnoException).code ? cannotWrite(path, e as NodeJS.ErrnoException) : e;
  }
}

/**
 * Moves a fully written folder `tmp` to `out`, replacing any folder there only once the new one is
 * complete: the old one is renamed aside, the new one renamed in, then the old one removed.
 */
export function replaceFolder(tmp: string, out: string): void {
  if (!existsSync(out)) {
    renameSync(tmp, out);
    return;
  }
  const old = `${out}.old-${process.pid}`;
  renameSync(out, old);
  renameSync(tmp, out);
  rmSync(old, { recursive: true, force: true });
}
