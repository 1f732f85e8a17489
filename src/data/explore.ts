// The seed's look at a data set in numbers: counts, empty fraction, coverage classes, depths and
// intensity. Drawing them is the report layer's job (src/report/explore-figures.ts).
import { coverage, coverageClass } from './coverage.js';
import { PIXELS } from './rle.js';
import type { TgsData } from './tgs.js';

export interface Summary {
  train: number;
  test: number;
  emptyFraction: number;
  coverageClasses: Record<string, number>;
  depth: { train: [number, number]; test: [number, number] | null };
  intensity: { mean: number; std: number };
}

const range = (v: number[]): [number, number] => [Math.min(...v), Math.max(...v)];

/**
 * The numbers of `d`: tile counts, the fraction without salt, tiles per coverage class (0..10,
 * data/coverage.ts), depth ranges in ft, and the mean and standard deviation of training pixels in
 * [0, 1]; with each training tile's coverage (salt pixels / 10201) and class.
 */
export function summarize(d: TgsData): { summary: Summary; coverages: number[]; classes: number[] } {
  const n = d.train.ids.length;
  const coverages = d.train.ids.map((_, i) => coverage(d.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS)));
  const classes = coverages.map(coverageClass);
  const counts: Record<string, number> = {};
  for (let c = 0; c <= 10; c++) counts[c] = classes.filter((x) => x === c).length;
  let s = 0, ss = 0;
  for (const v of d.train.images) { s += v; ss += v * v; }
  const mean = s / d.train.images.length;
  return {
    coverages,
    classes,
    summary: {
      train: n,
      test: d.test?.ids.length ?? 0,
      emptyFraction: counts[0]! / n,
      coverageClasses: counts,
      depth: { train: range(d.train.depths), test: d.test && d.test.depths.length ? range(d.test.depths) : null },
      intensity: { mean, std: Math.sqrt(ss / d.train.images.length - mean * mean) },
    },
  };
}
