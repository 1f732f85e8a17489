// Readers for what a run directory records: per-epoch history and the tuned threshold.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepPoint } from '../metrics/competition.js';
import type { EpochRecord } from './trainer.js';

/** threshold.json: the tuned post-processing and its validation mAP (minArea and gate are absent in older runs). */
export interface ThresholdRecord {
  threshold: number;
  score: number;
  tta: boolean;
  points: SweepPoint[];
  minArea?: number;
  gate?: number | null;
  /** The mAP at the threshold alone. */
  thresholdScore?: number;
}

/** history.jsonl's records (none yet: empty); a bad line is named by file and line. */
export function readHistory(dir: string): EpochRecord[] {
  const p = join(dir, 'history.jsonl');
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

/** The post-processing tuned for the run's snapshot ensemble (best weights and snapshots, predict --snapshots). */
export const SNAPSHOT_TUNING = 'threshold-snapshots.json';

/** threshold.json (or another tuning file), or null before the run has tuned one. */
export function readThreshold(dir: string, file = 'threshold.json'): ThresholdRecord | null {
  const p = join(dir, file);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ThresholdRecord) : null;
}

/** The epoch with the best validation mAP. */
export function bestEpoch(history: readonly EpochRecord[]): EpochRecord | null {
  return history.reduce<EpochRecord | null>((b, r) => (b === null || r.val_map > b.val_map ? r : b), null);
}
