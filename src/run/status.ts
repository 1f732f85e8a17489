// The status file: one line the trainer rewrites as it starts and ends, so watchers (serve, report)
// tell a live run from a finished, stopped or failed one without parsing logs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pidAlive } from './process.js';
import { haliteProgram, runPath } from './layout.js';

/** How a training ended: all epochs, the time budget, a signal, or an epoch limit (tests, stopAfterEpochs). */
export type StopReason = 'finished' | 'time' | 'interrupted' | 'limit';

/** What the trainer writes. */
export type StatusRecord = { state: 'running'; pid: number } | { state: StopReason } | { state: 'failed'; message: string };

/** What a watcher sees: a 'running' file whose process is gone is a failure. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'stopped' | 'unknown';

export function writeStatus(dir: string, s: StatusRecord): void {
  const line = s.state === 'running' ? `running ${s.pid}` : s.state === 'failed' ? `failed: ${s.message.replace(/\s+/g, ' ')}` : s.state;
  // Not atomic on purpose: one short line, and watchers re-read on the next change.
  writeFileSync(runPath(dir, 'status'), line + '\n');
}

/** The status file as written, or null when there is none (a run from an older halite). */
export function readStatus(dir: string): StatusRecord | null {
  const p = runPath(dir, 'status');
  if (!existsSync(p)) return null;
  const text = readFileSync(p, 'utf8').trim();
  const running = /^running (\d+)$/.exec(text);
  if (running) return { state: 'running', pid: Number(running[1]) };
  if (text === 'finished' || text === 'time' || text === 'interrupted' || text === 'limit') return { state: text };
  return { state: 'failed', message: text.replace(/^failed:\s*/, '') };
}

/** The run's status for people: running (pid alive), finished, stopped (resumable), failed, or unknown. */
export function runStatus(dir: string): { status: RunStatus; detail: string } {
  const s = readStatus(dir);
  if (s === null) return { status: 'unknown', detail: 'no status file (a run from an older halite?)' };
  switch (s.state) {
    case 'running':
      return pidAlive(s.pid) ? { status: 'running', detail: `pid ${s.pid}` } : { status: 'failed', detail: 'the training process ended without a word' };
    case 'finished': case 'time':
      return { status: 'finished', detail: s.state };
    case 'interrupted': case 'limit':
      return { status: 'stopped', detail: `${s.state}; resume with ${haliteProgram()} train --resume` };
    case 'failed':
      return { status: 'failed', detail: s.message };
  }
}
