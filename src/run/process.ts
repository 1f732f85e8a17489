// Whether a process named in a run's files still runs (on this host).
/** True when `pid` is alive here; EPERM means alive but someone else's. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
