// Post-processing tuned on held-out tiles: the probability threshold, then the minimum salt area and
// (for models with a salt classifier) the classifier probability below which a mask is emptied.
// The threshold sweep is the write-up's "threshold vs IoU"; every tile's score and salt area at each
// swept threshold are computed once, so the area and gate grid, and tuning on any subset of the tiles
// (cross-fitting), cost arithmetic only.
import { PIXELS } from '../data/rle.js';
import { rng, shuffled } from '../data/random.js';
import { binarize, overlap, overlapScore, type SweepPoint } from '../metrics/competition.js';

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
  /** Its standard deviation over the cross-fitting dealings (CrossFit.spread). */
  crossFitSpread?: number;
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

/**
 * Per tile, its competition score and salt area at each swept threshold, and whether its truth is
 * empty: everything tuning needs, paid for once (one binarisation per tile and threshold), so tuning on
 * any subset of the tiles is arithmetic.
 */
interface TileTable {
  thresholds: readonly number[];
  /** score[k][i]: tile i's imageScore at thresholds[k]. */
  score: Float64Array[];
  /** area[k][i]: tile i's salt pixels at thresholds[k]. */
  area: Int32Array[];
  /** Salt pixels in tile i's truth (0: empty, so emptying the tile scores 1). */
  truthArea: Int32Array;
  salt: Float32Array | null;
}

function tileTable(probs: Float32Array, masks: Uint8Array, salt: Float32Array | null, thresholds: readonly number[]): TileTable {
  if (thresholds.length === 0) throw new RangeError('no thresholds to sweep');
  const n = masks.length / PIXELS;
  const tile = <A extends Float32Array | Uint8Array>(a: A, i: number) => a.subarray(i * PIXELS, (i + 1) * PIXELS) as A;
  const score = thresholds.map(() => new Float64Array(n)), area = thresholds.map(() => new Int32Array(n));
  const truthArea = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const truth = tile(masks, i);
    thresholds.forEach((t, k) => {
      const c = overlap(truth, binarize(tile(probs, i), t));
      score[k]![i] = overlapScore(c);
      area[k]![i] = c.p;
      if (k === 0) truthArea[i] = c.t;
    });
  }
  return { thresholds, score, area, truthArea, salt };
}

/** Tile i's score once its mask is emptied: 1 where its truth is empty, else 0. */
const emptied = (tab: TileTable, i: number): number => (tab.truthArea[i] === 0 ? 1 : 0);

/**
 * Tunes on the listed tiles: the threshold with the best mean score (the first best on ties, as
 * thresholdSweep), then the minimum area and gate at that threshold (strictly better only).
 */
function tuneOn(tab: TileTable, tiles: ArrayLike<number>): Postprocess & { score: number; thresholdScore: number } {
  const n = tiles.length;
  const mean = (k: number) => { let s = 0; for (let j = 0; j < n; j++) s += tab.score[k]![tiles[j]!]!; return s / n; };
  let k = 0, thresholdScore = mean(0);
  for (let q = 1; q < tab.thresholds.length; q++) {
    const m = mean(q);
    if (m > thresholdScore) { k = q; thresholdScore = m; }
  }
  const { salt } = tab, score = tab.score[k]!, area = tab.area[k]!, t = tab.thresholds[k]!;
  let best: Postprocess & { score: number } = { threshold: t, minArea: 0, gate: salt ? 0 : null, score: -1 };
  for (const gate of salt ? GATES : [null]) {
    for (const minArea of MIN_AREAS) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        const i = tiles[j]!;
        s += keeps(area[i]!, salt ? salt[i]! : null, { minArea, gate }) ? score[i]! : emptied(tab, i);
      }
      s /= n;
      // Strictly better only: ties keep the milder setting (smaller area, lower gate).
      if (s > best.score + 1e-12) best = { threshold: t, minArea, gate, score: s };
    }
  }
  return { ...best, thresholdScore };
}

/**
 * Tunes the threshold (over `thresholds`), then the minimum salt area (MIN_AREAS) and, with salt
 * probabilities, the gate (GATES), maximising the competition mAP over the tiles.
 * probs N×101×101 float32, masks N×101×101 uint8 (0/1), salt N or null; o.crossFit also gives crossFitScore and
 * crossFitSpread (as crossFitScore, from the same per-tile scores). Throws RangeError without thresholds.
 */
export function tunePostprocess(probs: Float32Array, masks: Uint8Array, salt: Float32Array | null, thresholds: number[],
  o: { crossFit?: boolean } = {}): Tuned {
  const tab = tileTable(probs, masks, salt, thresholds);
  const all = Int32Array.from({ length: tab.truthArea.length }, (_, i) => i);
  const points = thresholds.map((threshold, k) => ({ threshold, score: tab.score[k]!.reduce((a, b) => a + b, 0) / all.length }));
  const tuned: Tuned = { ...tuneOn(tab, all), points };
  // The cross-fitted figure from the same table (crossFitScore), so the tiles are scored once.
  if (o.crossFit) ({ score: tuned.crossFitScore, spread: tuned.crossFitSpread } = crossFitOn(tab, {}));
  return tuned;
}

/** "0.7559 ± 0.0036 on tiles not tuned on (...)": the cross-fitted figure as training and halite tune print it. */
export function crossFitText(t: Pick<Tuned, 'crossFitScore' | 'crossFitSpread'>): string {
  return `${t.crossFitScore!.toFixed(4)}${t.crossFitSpread !== undefined ? ` ± ${t.crossFitSpread.toFixed(4)}` : ''} on tiles not tuned on (each half tuned on the other, averaged over ways of halving)`;
}

export interface CrossFit {
  /** Mean over the dealings of the mAP on tiles the post-processing was not tuned on. */
  score: number;
  /** Each dealing's mAP (the first is the deterministic one). */
  dealings: number[];
  /** Standard deviation of the dealings' mAP: how much the choice of halves alone moves the figure. */
  spread: number;
  /** Per fold of the first dealing, the post-processing it was scored with (tuned on the others). */
  folds: Postprocess[];
}

/**
 * The tuned post-processing's mAP on tiles it was not tuned on, by repeated k-fold cross-fitting:
 * the tiles, sorted by salt area, are dealt to the k folds k at a time (so every fold holds every
 * coverage), each fold is scored with threshold, minimum area and gate tuned (as tunePostprocess) on
 * the other folds, and the per-tile scores are averaged. The first dealing goes in turn (0, 1, ..., k−1);
 * the others deal each group of k in a seeded random order, and the figure is the mean over dealings,
 * because one split of a few hundred tiles alone moves it by about 0.01 (repeated cross-validation,
 * Kohavi 1995; Hastie, Tibshirani and Friedman, ESL §7.10). Tuning and scoring on the same tiles is
 * optimistic; this is not.
 * probs N×101×101 float32, masks N×101×101 uint8, salt N or null; o.k ≥ 2 and at most N (default 2),
 * o.dealings ≥ 1 (default 20), o.seed (default 0).
 * @throws RangeError for k outside [2, N], dealings below 1, or no thresholds
 */
export function crossFitScore(probs: Float32Array, masks: Uint8Array, salt: Float32Array | null, thresholds: number[],
  o: { k?: number; dealings?: number; seed?: number } = {}): CrossFit {
  return crossFitOn(tileTable(probs, masks, salt, thresholds), o);
}

function crossFitOn(tab: TileTable, o: { k?: number; dealings?: number; seed?: number }): CrossFit {
  const { k = 2, dealings = 20, seed = 0 } = o;
  const { salt, truthArea } = tab, n = truthArea.length;
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`cross-fitting needs 2 to ${n} folds, got ${k}`);
  if (!Number.isInteger(dealings) || dealings < 1) throw new RangeError(`cross-fitting needs at least 1 dealing, got ${dealings}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => truthArea[a]! - truthArea[b]! || a - b);
  const random = rng(seed);
  const fold = new Int32Array(n);
  const scores: number[] = [];
  let folds: Postprocess[] = [];
  for (let d = 0; d < dealings; d++) {
    for (let g = 0; g < n; g += k) {
      const labels = Array.from({ length: k }, (_, f) => f);
      const dealt = d === 0 ? labels : shuffled(labels, random);
      for (let r = g; r < Math.min(g + k, n); r++) fold[order[r]!] = dealt[r - g]!;
    }
    let total = 0;
    const used: Postprocess[] = [];
    for (let f = 0; f < k; f++) {
      const t = tuneOn(tab, order.filter((i) => fold[i] !== f));
      used.push({ threshold: t.threshold, minArea: t.minArea, gate: t.gate });
      const at = tab.thresholds.indexOf(t.threshold);
      for (let i = 0; i < n; i++) {
        if (fold[i] !== f) continue;
        total += keeps(tab.area[at]![i]!, salt ? salt[i]! : null, t) ? tab.score[at]![i]! : emptied(tab, i);
      }
    }
    scores.push(total / n);
    if (d === 0) folds = used;
  }
  const score = scores.reduce((a, b) => a + b, 0) / scores.length;
  const spread = Math.sqrt(scores.reduce((a, b) => a + (b - score) ** 2, 0) / scores.length);
  return { score, dealings: scores, spread, folds };
}
