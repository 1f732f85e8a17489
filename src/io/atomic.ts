// Outputs appear whole or not at all: write a temporary file beside the target, then rename.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A fresh temporary path beside `path`, for writing it whole and then renaming. */
export function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  const tmp = tempPath(path);
  const parts = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
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
    throw e;
  }
}
