// threshold.json and threshold-snapshots.json: post-processing tuned on a run's validation tiles.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import type { SweepPoint } from '../metrics/competition.js';
import { haliteProgram, runPath } from './layout.js';

/** The tuned post-processing and its validation mAP (minArea and gate are absent in older runs). */
export interface TuningRecord {
  threshold: number;
  /** Validation mAP with everything applied. */
  score: number;
  /** Tuned on flip-TTA probabilities. */
  tta: boolean;
  points: SweepPoint[];
  /** Masks with fewer salt pixels become empty. */
  minArea?: number;
  /** Salt-classifier probability below which a mask becomes empty; null without a classifier. */
  gate?: number | null;
  /** The mAP at the threshold alone. */
  thresholdScore?: number;
  /** The mAP on tiles the post-processing was not tuned on (2-fold cross-fitting over the validation tiles). */
  crossFitScore?: number;
  /** The standard deviation of crossFitScore over its dealings of the tiles into halves. */
  crossFitSpread?: number;
}

/** Which weights were tuned: the best epoch's, or the snapshot ensemble's (predict --snapshots). */
export type TuningKind = 'best' | 'snapshots';

const file = (k: TuningKind) => (k === 'best' ? 'tuning' : 'snapshotTuning');

/** The run's tuning, or null before it has one. Throws Error naming the file when it is not JSON. */
export function readTuning(dir: string, kind: TuningKind = 'best'): TuningRecord | null {
  const p = runPath(dir, file(kind));
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as TuningRecord;
  } catch (e) {
    throw new Error(`${p}: not valid JSON (${(e as Error).message}); run ${haliteProgram()} tune on the run to write it again`);
  }
}

export function writeTuning(dir: string, kind: TuningKind, t: TuningRecord): void {
  writeFileAtomic(runPath(dir, file(kind)), JSON.stringify(t, null, 2) + '\n');
}
