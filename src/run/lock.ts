// One writer per run directory: a lock file holding the writer's pid, host and process start time,
// made whole in a temporary file and linked into place (link fails if the lock exists), so it is never
// seen half-written and a second `train --resume` or `cv` on the same folder is refused instead of
// appending to the same history beside the first. A lock whose process is gone (on this host) is taken over.
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { processStart, sameProcessAlive } from './process.js';
import { resumeCommand, runPath } from './layout.js';

interface Holder { pid: number; host: string; since: string; start?: string | null }

export class RunLockedError extends Error {
  /** `resume` is the command that continues the work once the holder is gone. */
  constructor(readonly dir: string, readonly holder: Holder, resume = resumeCommand(dir)) {
    const here = holder.host === hostname();
    super(`${dir} is being written by pid ${holder.pid} on ${here ? 'this machine' : `host ${holder.host}`} (since ${holder.since}); ` +
      (here ? `wait for it to finish or stop it (kill ${holder.pid}), then continue with ${resume}`
        : `if that process is gone, delete ${runPath(dir, 'lock')}`));
    this.name = 'RunLockedError';
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readHolder(path: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? { pid: h.pid!, host: h.host, since: String(h.since ?? '?'), start: h.start ?? null } : null;
  } catch {
    return null; // a damaged lock file (it is never half-written): treated as stale below
  }
}

/** A held lock on a run directory; `release()` removes it (only if it is still ours). */
export class RunLock {
  private constructor(readonly dir: string, private readonly path: string) {}

  /**
   * Takes the lock of `dir` (which must exist). Throws RunLockedError naming the holder when a live
   * process holds it, or a process on another host (whose liveness cannot be checked). A lock left by a
   * process that is gone from this host is taken over, and `log` says so. `resume` is the command the
   * refusal suggests for continuing afterwards.
   */
  static acquire(dir: string, log: (line: string) => void = () => {}, resume?: string): RunLock {
    const run = resolve(dir);
    const path = runPath(run, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), start: processStart(process.pid) }) + '\n');
      try {
        linkSync(tmp, path);
        return new RunLock(run, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        unlinkSync(tmp);
      }
      const seen = readText(path);
      const h = readHolder(path);
      // Another host's process cannot be checked from here; a pid reused by a later process is not the holder.
      if (h && (h.host !== hostname() || sameProcessAlive(h.pid, h.start))) throw new RunLockedError(run, h, resume);
      log(h ? `taking over the lock of ${run}: pid ${h.pid}, which held it since ${h.since}, is gone` : `taking over the unreadable lock file ${path}`);
      // Removed only if it is still the stale lock read above: another taker may have replaced it since.
      if (readText(path) === seen) try { unlinkSync(path); } catch { /* another taker removed it first; the retry decides */ }
    }
    throw new RunLockedError(run, readHolder(path) ?? { pid: -1, host: '?', since: '?' }, resume);
  }

  release(): void {
    if (!existsSync(this.path)) return;
    const h = readHolder(this.path);
    if (h && h.pid === process.pid && h.host === hostname()) unlinkSync(this.path);
  }
}
