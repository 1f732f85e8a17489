// The system's error codes in words, for messages that say why a file could not be read or written
// and what to do, shared so every reader and writer says it the same way.
import { existsSync } from 'node:fs';

/**
 * Why a file could not be read, in words: "no such file; check the path" for ENOENT, and so on; an
 * unknown code (or none) gives the code or the error's own message.
 */
export function readReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file; check the path',
    EISDIR: 'this is a folder; name a file in it',
    ENOTDIR: 'a part of the path is not a folder; check the path',
    EACCES: 'no permission to read it',
    EPERM: 'no permission to read it',
  };
  return why[code ?? ''] ?? code ?? (e as Error).message;
}

/**
 * Why something could not be written in (or made as) the folder `dir`, in words: ENOENT says the
 * folder does not exist, EACCES that there is no permission, and so on; an unknown code gives itself.
 */
export function writeReason(dir: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    // A folder that exists yet answers ENOENT takes nothing new: a kernel file system such as /proc.
    ENOENT: existsSync(dir) ? `${dir} takes no new files or folders (a system folder such as /proc or /sys)` : `the folder ${dir} does not exist (create it first)`,
    ENOTDIR: `${dir} is not a folder`,
    EACCES: `no permission to write in ${dir}`,
    EPERM: `no permission to write in ${dir}`,
    EROFS: `${dir} is on a read-only file system`,
    ENOSPC: 'no space left on the device',
  };
  return why[code ?? ''] ?? code ?? (e as Error).message;
}
