// cv.json: a halite cv folder's summary, one row per fold run and the out-of-fold tuning.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { runPath } from './layout.js';

export interface CvSummary {
  folds: { fold: number; run: string; tiles: number; map: number; bestEpoch: number }[];
  /** Post-processing tuned on all out-of-fold predictions, and its mAP over every tile. */
  oof: { threshold: number; minArea: number; gate: number | null; map: number; thresholdMap: number; tiles: number };
}

/** Is `dir` a cv folder (it has cv.json)? */
export function isCvFolder(dir: string): boolean {
  return existsSync(runPath(resolve(dir), 'cv'));
}

/** Throws Error naming the folder when it has no cv.json. */
export function readCv(dir: string): CvSummary {
  const p = runPath(resolve(dir), 'cv');
  if (!existsSync(p)) throw new Error(`${resolve(dir)}: no cv.json; is this a halite cv folder?`);
  return JSON.parse(readFileSync(p, 'utf8')) as CvSummary;
}

export function writeCv(dir: string, s: CvSummary): void {
  writeFileAtomic(runPath(resolve(dir), 'cv'), JSON.stringify(s, null, 2) + '\n');
}
