// A run's live events for server-sent events: new history records (read incrementally), and
// progress and status, re-read only when the folder changes, with a slow timer for the one change no
// file reports: a trainer process dying.
import { watch } from 'node:fs';
import { HistoryFollower } from '../run/history.js';
import { readProgressText } from '../run/progress.js';
import { runStatus } from '../run/status.js';

export type RunEvent =
  | { event: 'epoch'; data: unknown }
  | { event: 'progress'; data: unknown }
  | { event: 'status'; data: ReturnType<typeof runStatus> };

/** Calls `send` with every epoch so far, then with each new one, progress and status change; returns a stop function. */
export function watchRun(dir: string, send: (e: RunEvent) => void, statusEveryMs = 3000): () => void {
  const history = new HistoryFollower(dir);
  let lastProgress = '';
  let lastStatus = '';

  const readProgress = () => {
    const text = readProgressText(dir);
    if (text === null || text === lastProgress) return;
    lastProgress = text;
    send({ event: 'progress', data: JSON.parse(text) });
  };
  const readStatus = () => {
    const s = runStatus(dir);
    const key = JSON.stringify(s);
    if (key === lastStatus) return;
    lastStatus = key;
    send({ event: 'status', data: s });
  };
  const update = () => {
    try {
      for (const r of history.next()) send({ event: 'epoch', data: r });
      readProgress();
      readStatus();
    } catch {
      // A file caught mid-replace is read again on the next change.
    }
  };

  update();
  const watcher = watch(dir, () => update());
  const timer = setInterval(readStatus, statusEveryMs);
  return () => {
    watcher.close();
    clearInterval(timer);
  };
}
