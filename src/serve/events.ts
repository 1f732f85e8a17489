// A run's live events for server-sent events: history.jsonl is read from where the last read
// stopped (never whole again), progress.json and the status are re-read only when the folder
// changes, with a slow timer for the one change no file reports: a trainer process dying.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { runStatus } from './runs.js';

export type RunEvent =
  | { event: 'epoch'; data: unknown }
  | { event: 'progress'; data: unknown }
  | { event: 'status'; data: ReturnType<typeof runStatus> };

/** Calls `send` with every epoch so far, then with each new one, progress and status change; returns a stop function. */
export function watchRun(dir: string, send: (e: RunEvent) => void, statusEveryMs = 3000): () => void {
  let offset = 0;
  let partial = '';
  let lastProgress = '';
  let lastStatus = '';
  const history = join(dir, 'history.jsonl'), progress = join(dir, 'progress.json');

  const readNewEpochs = () => {
    if (!existsSync(history)) return;
    const size = statSync(history).size;
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(history, 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const lines = (partial + buf.toString('utf8')).split('\n');
    partial = lines.pop() ?? ''; // a line still being written waits for its newline
    for (const l of lines) if (l.trim() !== '') send({ event: 'epoch', data: JSON.parse(l) });
  };
  const readProgress = () => {
    if (!existsSync(progress)) return;
    const text = readFileSync(progress, 'utf8');
    if (text === lastProgress || text.trim() === '') return;
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
      readNewEpochs();
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
