// Kaggle submissions (id,rle_mask): reading with every id checked, and scoring against truth.
import { readCsv, indexById } from '../data/csv.js';
import { DataError } from '../data/png.js';
import { rleDecode, PIXELS } from '../data/rle.js';
import { emptyConfusion, meanOverlapScore, overlap, scoreByCoverageClass, type ClassRow, type EmptyConfusion } from './competition.js';

/** A submission whose ids are not the expected ones: which are missing and which are unknown. */
export class SubmissionIdsError extends DataError {
  constructor(message: string, readonly missing: string[], readonly unknown: string[]) {
    super(message);
    this.name = 'SubmissionIdsError';
  }
}

/**
 * Reads a submission and decodes every mask; ids must be exactly `expected` (order free).
 * Throws SubmissionIdsError naming the missing and unknown ids, DataError for a bad file or RLE.
 */
export function readSubmission(path: string, expected: readonly string[]): Map<string, Uint8Array> {
  const rows = readCsv(path, ['id', 'rle_mask']);
  const byId = indexById(path, rows);
  const want = new Set(expected);
  const unknown = [...byId.keys()].filter((id) => !want.has(id));
  const missing = expected.filter((id) => !byId.has(id));
  if (unknown.length || missing.length) {
    const show = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, ... (${ids.length} in all)` : '');
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length} id(s): ${show(missing)}`);
    if (unknown.length) parts.push(`${unknown.length} unknown id(s) (first on line ${byId.get(unknown[0]!)!.line}): ${show(unknown)}`);
    throw new SubmissionIdsError(`${path}: ${parts.join('; ')}`, missing, unknown);
  }
  const out = new Map<string, Uint8Array>();
  for (const [id, r] of byId) out.set(id, rleDecode(r.fields.rle_mask ?? '', `${path}:${r.line} (id ${id})`));
  return out;
}

export interface Evaluation {
  images: number;
  map: number;
  byCoverageClass: ClassRow[];
  confusion: EmptyConfusion;
}

/**
 * Scores predicted masks against truth masks (N x 10201, 0/1) for the given ids: each tile's overlap
 * is counted once, and the mean score, the coverage-class table and the empty confusion all come from it.
 * @throws RangeError when there are no ids
 */
export function evaluate(ids: readonly string[], truth: Uint8Array, predicted: Map<string, Uint8Array>): Evaluation {
  const overlaps = ids.map((id, i) => overlap(truth.subarray(i * PIXELS, (i + 1) * PIXELS), predicted.get(id)!));
  return { images: ids.length, map: meanOverlapScore(overlaps), byCoverageClass: scoreByCoverageClass(overlaps, PIXELS), confusion: emptyConfusion(overlaps) };
}

/** The evaluation as aligned text: the score, the per-class table and the confusion. */
export function formatEvaluation(e: Evaluation): string {
  const lines = [`mAP ${e.map.toFixed(4)} over ${e.images} images`, '', 'coverage class  images  score'];
  for (const r of e.byCoverageClass) lines.push(`${String(r.coverageClass).padStart(14)}  ${String(r.images).padStart(6)}  ${r.score.toFixed(4)}`);
  const c = e.confusion;
  lines.push('', '                 predicted empty  predicted salt',
    `truth empty      ${String(c.bothEmpty).padStart(15)}  ${String(c.falseSalt).padStart(14)}`,
    `truth salt       ${String(c.missedSalt).padStart(15)}  ${String(c.bothSalt).padStart(14)}`);
  return lines.join('\n');
}
