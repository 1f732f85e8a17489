// history.jsonl: one record per validated epoch, appended by the trainer, read by report, serve and cv.
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { runPath } from './layout.js';

/** One epoch of a run: losses are means over the epoch's tiles; val_map is the competition metric at 0.5. */
export interface EpochRecord {
  /** 1-based, counted over the whole run. */
  epoch: number;
  /** 1-based phase of the config's `phases`. */
  phase: number;
  /** The phase's loss name. */
  loss: string;
  train_loss: number;
  /** null on an epoch the validation schedule (config `validation`) did not validate. */
  val_loss: number | null;
  val_map: number | null;
  /** The learning rate at the epoch's end. */
  lr: number;
  /** Wall-clock seconds of training and validation. */
  seconds: number;
  /** The best validation mAP of the run so far (its weights are best.safetensors). */
  best: boolean;
}

/** history.jsonl's records (none yet: empty). Throws Error naming file and line for a line that is not JSON. */
export function readHistory(dir: string): EpochRecord[] {
  const p = runPath(dir, 'history');
  if (!existsSync(p)) return [];
  const out: EpochRecord[] = [];
  readFileSync(p, 'utf8').split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      out.push(JSON.parse(l) as EpochRecord);
    } catch {
      throw new Error(`${p}:${i + 1}: not a JSON record`);
    }
  });
  return out;
}

/** Appends one record as one line (a watcher reads whole lines only). */
export function appendHistory(dir: string, r: EpochRecord): void {
  appendFileSync(runPath(dir, 'history'), JSON.stringify(r) + '\n');
}

/**
 * Keeps the records of epochs 1..`epochs` and drops later ones: those a process appended after its last
 * checkpoint and before it was killed, which a resume trains again. Rewrites the file atomically; returns
 * how many records it dropped.
 */
export function truncateHistory(dir: string, epochs: number): number {
  const all = readHistory(dir);
  const kept = all.filter((r) => r.epoch <= epochs);
  if (kept.length === all.length) return 0;
  writeFileAtomic(runPath(dir, 'history'), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  return all.length - kept.length;
}

/** The validated epoch with the best validation mAP, or null when none was validated. */
export function bestEpoch(history: readonly EpochRecord[]): EpochRecord | null {
  return history.reduce<EpochRecord | null>((b, r) => (r.val_map !== null && (b === null || r.val_map > b.val_map!) ? r : b), null);
}

/**
 * Reads history.jsonl as it grows: each `next()` returns the complete records appended since the last
 * call, reading only the new bytes. A line still being written waits for its newline.
 */
export class HistoryFollower {
  private offset = 0;
  private partial = '';
  constructor(private readonly dir: string) {}

  next(): EpochRecord[] {
    const p = runPath(this.dir, 'history');
    if (!existsSync(p)) return [];
    const size = statSync(p).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(p, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.partial + buf.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EpochRecord);
  }
}
