// Post-processing tuned on held-out tiles: the probability threshold, then the minimum salt area and
// (for models with a salt classifier) the classifier probability below which a mask is emptied.
// The threshold sweep is the write-up's "threshold vs IoU"; the other two reuse its binary masks, so
// the grid costs one competition score per tile.
import { PIXELS } from '../data/rle.js';
import { binarize, imageScore, thresholdSweep, type SweepPoint } from '../metrics/competition.js';

export interface Postprocess {
  threshold: number;
  /** Masks with fewer salt pixels become empty. */
  minArea: number;
  /** Masks of tiles whose salt probability is below this become empty; null without a classifier. */
  gate: number | null;
}

export interface Tuned extends Postprocess {
  /** mAP with all three applied. */
  score: number;
  /** mAP on tiles the post-processing was not tuned on (crossFitScore), where computed. */
  crossFitScore?: number;
  /** mAP at the best threshold alone (no minimum area, no gate). */
  thresholdScore: number;
  points: SweepPoint[];
}

export const MIN_AREAS = [0, 10, 20, 40, 60, 100, 150];
export const GATES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Is this tile kept (not emptied) under minArea and gate? */
export function keeps(area: number, salt: number | null, p: Pick<Postprocess, 'minArea' | 'gate'>): boolean {
  return area >= p.minArea && (p.gate === null || salt === null || salt >= p.gate);
}

/** Salt pixels in a binary mask. */
export function saltArea(mask: Uint8Array): number {
  let a = 0;
  for (const v of mask) a += v;
  return a;
}

/** Empties a binary mask in place when minArea or gate rejects its tile; returns it. */
export function postprocessMask(mask: Uint8Array, salt: number | null, p: Pick<Postprocess, 'minArea' | 'gate'>): Uint8Array {
  if (!keeps(saltArea(mask), salt, p)) mask.fill(0);
  return mask;
}

export function tunePostprocess(probs: Float32Array, masks: Uint8Array, salt: Float32Array | null, thresholds: number[]): Tuned {
  const n = masks.length / PIXELS;
  const tile = <A extends Float32Array | Uint8Array>(a: A, i: number) => a.subarray(i * PIXELS, (i + 1) * PIXELS) as A;
  const truths = Array.from({ length: n }, (_, i) => tile(masks, i));
  const sweep = thresholdSweep(Array.from({ length: n }, (_, i) => tile(probs, i)), truths, thresholds);
  const t = sweep.best.threshold;
  const kept: number[] = [], emptied: number[] = [], areas: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = binarize(tile(probs, i), t);
    areas.push(saltArea(m));
    kept.push(imageScore(truths[i]!, m));
    emptied.push(truths[i]!.some((v) => v !== 0) ? 0 : 1);
  }
  let best: Postprocess & { score: number } = { threshold: t, minArea: 0, gate: salt ? 0 : null, score: -1 };
  for (const gate of salt ? GATES : [null]) {
    for (const minArea of MIN_AREAS) {
      let s = 0;
      for (let i = 0; i < n; i++) s += keeps(areas[i]!, salt ? salt[i]! : null, { minArea, gate }) ? kept[i]! : emptied[i]!;
      s /= n;
      // Strictly better only: ties keep the milder setting (smaller area, lower gate).
      if (s > best.score + 1e-12) best = { threshold: t, minArea, gate, score: s };
    }
  }
  return { ...best, thresholdScore: sweep.best.score, points: sweep.points };
}

/**
 * The tuned post-processing's mAP on tiles it was not tuned on, by k-fold cross-fitting: the tiles,
 * sorted by salt area, are dealt to the k folds in turn (so every fold holds every coverage), each
 * fold is scored with threshold, minimum area and gate tuned (tunePostprocess) on the other folds, and
 * the per-tile scores are averaged. Tuning and scoring on the same tiles is optimistic; this is not.
 * probs N×101×101 float32, masks N×101×101 uint8, salt N or null; k ≥ 2 and at most N.
 * @returns the mean score and, per fold, the post-processing it was scored with (tuned on the others). Throws RangeError for k outside [2, N].
 */
export function crossFitScore(probs: Float32Array, masks: Uint8Array, salt: Float32Array | null, thresholds: number[], k = 2): { score: number; folds: Postprocess[] } {
  const n = masks.length / PIXELS;
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`cross-fitting needs 2 to ${n} folds, got ${k}`);
  const tile = <A extends Float32Array | Uint8Array>(a: A, i: number) => a.subarray(i * PIXELS, (i + 1) * PIXELS) as A;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => saltArea(tile(masks, a)) - saltArea(tile(masks, b)) || a - b);
  const fold = new Int32Array(n);
  order.forEach((i, r) => { fold[i] = r % k; });
  let total = 0;
  const folds: Postprocess[] = [];
  for (let f = 0; f < k; f++) {
    const rest = order.filter((i) => fold[i] !== f);
    const gather = <A extends Float32Array | Uint8Array>(a: A, make: (len: number) => A) => {
      const out = make(rest.length * PIXELS);
      rest.forEach((i, j) => out.set(tile(a, i), j * PIXELS));
      return out;
    };
    const t = tunePostprocess(gather(probs, (l) => new Float32Array(l)), gather(masks, (l) => new Uint8Array(l)),
      salt ? Float32Array.from(rest, (i) => salt[i]!) : null, thresholds);
    folds.push({ threshold: t.threshold, minArea: t.minArea, gate: t.gate });
    for (let i = 0; i < n; i++) {
      if (fold[i] !== f) continue;
      const m = postprocessMask(binarize(tile(probs, i), t.threshold), salt ? salt[i]! : null, t);
      total += imageScore(tile(masks, i), m);
    }
  }
  return { score: total / n, folds };
}
