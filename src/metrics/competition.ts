// The TGS competition metric: per image, the mean over IoU thresholds 0.50, 0.55, ..., 0.95 of
// [IoU > t]; an image scores 1 when truth and prediction are both empty and 0 when exactly one is.
// The dataset score is the mean over images.
import { coverageClass } from '../data/coverage.js';

/** 0.50 ... 0.95, each the double nearest its decimal value. */
export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => (50 + 5 * i) / 100);

export type Mask = ArrayLike<number>;

/** Pixel counts of two masks (any non-zero is salt): both, either, truth, prediction. */
export interface Overlap { inter: number; union: number; t: number; p: number }

/** The Overlap of two equal-length masks. Throws RangeError when their lengths differ. */
export function overlap(truth: Mask, pred: Mask): Overlap {
  if (truth.length !== pred.length) throw new RangeError(`truth has ${truth.length} pixels, prediction ${pred.length}`);
  let inter = 0, union = 0, t = 0, p = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i] ? 1 : 0, b = pred[i] ? 1 : 0;
    inter += a & b;
    union += a | b;
    t += a;
    p += b;
  }
  return { inter, union, t, p };
}

/** Plain intersection over union; 1 when both masks are empty. */
export function iou(truth: Mask, pred: Mask): number {
  const c = overlap(truth, pred);
  return c.union === 0 ? 1 : c.inter / c.union;
}

/** One image's score under the competition metric. */
export function imageScore(truth: Mask, pred: Mask): number {
  return overlapScore(overlap(truth, pred));
}

/** imageScore from an image's Overlap (for callers that also need the counts). */
export function overlapScore(c: Overlap): number {
  if (c.t === 0 && c.p === 0) return 1;
  if (c.t === 0 || c.p === 0) return 0;
  const v = c.inter / c.union;
  let hits = 0;
  for (const th of IOU_THRESHOLDS) if (v > th) hits++;
  return hits / IOU_THRESHOLDS.length;
}

/**
 * The dataset score: mean of imageScore over images.
 * @throws RangeError when the counts differ or there are no images
 */
export function meanScore(truths: readonly Mask[], preds: readonly Mask[]): number {
  if (truths.length !== preds.length) throw new RangeError(`${truths.length} truths but ${preds.length} predictions`);
  return meanOverlapScore(truths.map((t, i) => overlap(t, preds[i]!)));
}

/**
 * meanScore from each image's Overlap, for callers that also use the overlaps.
 * @throws RangeError when there are none
 */
export function meanOverlapScore(overlaps: readonly Overlap[]): number {
  if (overlaps.length === 0) throw new RangeError('no images to score');
  return overlaps.reduce((s, o) => s + overlapScore(o), 0) / overlaps.length;
}

/** Binarises scores (probabilities, or logits with threshold 0) at a threshold: value > threshold is salt. */
export function binarize(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]! > threshold ? 1 : 0;
  return out;
}

/**
 * The seed's "my_iou_metric" for a batch: the competition score of predictions thresholded at
 * `threshold` (0.5 on probabilities; 0 on logits in the Lovász stage), averaged over the batch.
 * `scores` is N*H*W values, `truths` N*H*W 0/1.
 */
export function batchMetric(scores: ArrayLike<number>, truths: ArrayLike<number>, n: number, threshold = 0.5): number {
  const size = scores.length / n;
  if (!Number.isInteger(size) || truths.length !== scores.length) throw new RangeError('scores and truths must hold n equal-sized masks');
  let s = 0;
  for (let i = 0; i < n; i++) {
    const view = (a: ArrayLike<number>) => Array.prototype.slice.call(a, i * size, (i + 1) * size) as number[];
    s += imageScore(view(truths), binarize(view(scores), threshold));
  }
  return s / n;
}

export interface SweepPoint { threshold: number; score: number }

/** The score at each threshold, and the best (first best on ties, as the seed's argmax). */
export function thresholdSweep(scores: readonly ArrayLike<number>[], truths: readonly Mask[], thresholds: readonly number[]): { points: SweepPoint[]; best: SweepPoint } {
  if (thresholds.length === 0) throw new RangeError('no thresholds to sweep');
  const points = thresholds.map((th) => ({ threshold: th, score: meanScore(truths, scores.map((s) => binarize(s, th))) }));
  const best = points.reduce((a, b) => (b.score > a.score ? b : a));
  return { points, best };
}

/** Thresholds the seed sweeps: 31 points over [lo, hi]. */
export function linspace(lo: number, hi: number, n: number): number[] {
  // Rounded to 12 significant digits so a threshold reads 0.5, not the 0.49999999999999994 that
  // 0.05 + 0.9 * 15 / 30 gives in binary floating point.
  return Array.from({ length: n }, (_, i) => (n === 1 ? lo : Number((lo + ((hi - lo) * i) / (n - 1)).toPrecision(12))));
}

export interface ClassRow { coverageClass: number; images: number; score: number }

/**
 * Mean score per coverage class of the truth (0 = empty, 1..10 by tenths of coverage), from each
 * image's Overlap (overlap()) and its pixel count (10201 for a TGS tile).
 */
export function scoreByCoverageClass(overlaps: readonly Overlap[], pixels: number): ClassRow[] {
  const sum = new Map<number, { n: number; s: number }>();
  for (const o of overlaps) {
    const c = coverageClass(o.t / pixels);
    const e = sum.get(c) ?? { n: 0, s: 0 };
    e.n++;
    e.s += overlapScore(o);
    sum.set(c, e);
  }
  return [...sum].sort((a, b) => a[0] - b[0]).map(([c, e]) => ({ coverageClass: c, images: e.n, score: e.s / e.n }));
}

export interface EmptyConfusion { bothEmpty: number; falseSalt: number; missedSalt: number; bothSalt: number }

/** Image-level empty/non-empty confusion from each image's Overlap: where the metric's hard 0s and free 1s come from. */
export function emptyConfusion(overlaps: readonly Overlap[]): EmptyConfusion {
  const c = { bothEmpty: 0, falseSalt: 0, missedSalt: 0, bothSalt: 0 };
  for (const o of overlaps) {
    const te = o.t === 0, pe = o.p === 0;
    if (te && pe) c.bothEmpty++;
    else if (te) c.falseSalt++;
    else if (pe) c.missedSalt++;
    else c.bothSalt++;
  }
  return c;
}
