// Whether a process named in a run's files still runs (on this host), and is the same process.
import { readFileSync } from 'node:fs';

/** True when `pid` is alive here; EPERM means alive but someone else's. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The process's start time in clock ticks since boot (/proc/PID/stat field 22, proc(5)), which tells a
 * process from a later one that reuses its pid; null where /proc is not there (not Linux) or the pid is gone.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command name, is in parentheses and may hold spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the process that wrote `start` (processStart, or null) for `pid` still the one running as `pid`? */
export function sameProcessAlive(pid: number, start: string | null | undefined): boolean {
  if (!pidAlive(pid)) return false;
  const now = processStart(pid);
  return start == null || now === null || now === start;
}
