// progress.json: the current epoch's position, for `halite serve` to stream to the browser.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { runPath } from './layout.js';

export interface ProgressSnapshot {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean training loss of the epoch so far. */
  loss: number;
  imagesPerSecond: number;
  lr: number;
  /** ISO 8601. */
  time: string;
}

export function writeProgress(dir: string, p: ProgressSnapshot): void {
  writeFileAtomic(runPath(dir, 'progress'), JSON.stringify(p) + '\n');
}

/** The file's text (watchers compare it to skip unchanged reads), or null when absent or empty. */
export function readProgressText(dir: string): string | null {
  const p = runPath(dir, 'progress');
  if (!existsSync(p)) return null;
  const text = readFileSync(p, 'utf8');
  return text.trim() === '' ? null : text;
}
