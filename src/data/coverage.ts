// Salt coverage and the seed's 11 coverage classes, used to stratify splits and report scores.
import { PIXELS } from './rle.js';

/** Fraction of salt pixels in a mask (any non-zero counts). */
export function coverage(mask: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s++;
  return s / (mask.length || PIXELS);
}

/** 0 for an empty mask, else ceil(coverage * 10): classes 1..10. */
export function coverageClass(cov: number): number {
  if (cov <= 0) return 0;
  return Math.min(10, Math.ceil(cov * 10));
}
