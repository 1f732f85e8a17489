// Stratified train/validation splits and k-folds by coverage class, seeded, and a run's split of a
// TGS folder (a split.json in the folder wins when no folds are asked for).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverage, coverageClass } from './coverage.js';
import { DataError } from './png.js';
import { rng, shuffled } from './random.js';
import { PIXELS } from './rle.js';
import type { TgsData } from './tgs.js';

/** A data folder's fixed validation set (written by `halite tiles --val-inlines`): {"val": [ids]}. */
export const SPLIT_FILE = 'split.json';

/**
 * The split a data folder prescribes in split.json, if it has one: validation = the listed ids,
 * training = the rest of `ids`. Throws DataError naming the file for bad JSON, an id not among the
 * training tiles, or an empty side.
 */
export function prescribedSplit(dir: string, ids: readonly string[]): { train: number[]; val: number[] } | undefined {
  const path = join(dir, SPLIT_FILE);
  if (!existsSync(path)) return undefined;
  let val: unknown;
  try {
    val = (JSON.parse(readFileSync(path, 'utf8')) as { val?: unknown }).val;
  } catch (e) {
    throw new DataError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(val) || val.some((v) => typeof v !== 'string')) throw new DataError(`${path}: "val" must be a list of tile ids`);
  const index = new Map(ids.map((id, i) => [id, i]));
  const held = new Set<number>();
  for (const id of val as string[]) {
    const i = index.get(id);
    if (i === undefined) throw new DataError(`${path}: validation id ${id} is not a training tile of ${dir}`);
    held.add(i);
  }
  if (held.size === 0 || held.size === ids.length) throw new DataError(`${path}: holds out ${held.size} of ${ids.length} tiles; both training and validation need tiles. Hold out another block of inlines`);
  return { train: ids.flatMap((_, i) => (held.has(i) ? [] : [i])), val: ids.flatMap((_, i) => (held.has(i) ? [i] : [])) };
}

function byClass(classes: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  classes.forEach((c, i) => {
    const g = groups.get(c);
    if (g) g.push(i);
    else groups.set(c, [i]);
  });
  return new Map([...groups].sort((a, b) => a[0] - b[0]));
}

/**
 * Assigns each item to one of k folds so every class is spread as evenly as possible.
 * Returns fold[i] for item i.
 */
export function stratifiedFolds(classes: readonly number[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k-fold needs k >= 2, got ${k}`);
  if (classes.length < k) throw new RangeError(`cannot make ${k} folds from ${classes.length} items`);
  const random = rng(seed);
  const fold = new Array<number>(classes.length).fill(-1);
  let offset = 0;
  for (const idx of byClass(classes).values()) {
    // Deal each class round-robin, continuing where the last class stopped so fold sizes stay level.
    shuffled(idx, random).forEach((item, j) => { fold[item] = (offset + j) % k; });
    offset = (offset + idx.length) % k;
  }
  return fold;
}

/** Indices of a seeded split with `valFraction` of every class in validation (at least 1 where a class has 2+). */
export function stratifiedSplit(classes: readonly number[], valFraction: number, seed: number): { train: number[]; val: number[] } {
  if (!(valFraction > 0 && valFraction < 1)) throw new RangeError(`validation fraction must be in (0, 1), got ${valFraction}`);
  const random = rng(seed);
  const train: number[] = [], val: number[] = [];
  for (const idx of byClass(classes).values()) {
    const s = shuffled(idx, random);
    let nVal = Math.round(s.length * valFraction);
    if (nVal === 0 && s.length >= 2) nVal = 1;
    val.push(...s.slice(0, nVal));
    train.push(...s.slice(nVal));
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}

/**
 * How a run splits its labelled tiles: `folds`/`fold` for k-fold, else a stratified `valFraction`
 * hold-out. The split is seeded by `splitSeed`, or `seed` without it. A training config is one.
 */
export interface SplitSpec {
  valFraction: number;
  folds?: number;
  fold?: number;
  seed: number;
  splitSeed?: number;
}

/**
 * Training and validation indices into `data.train`: the folder's split.json (held-out inlines) when
 * it has one and no folds are asked for, else stratified by coverage class. Throws DataError for a bad
 * split.json and RangeError for an impossible fold count or fraction.
 */
export function splitIndices(data: TgsData, s: SplitSpec): { train: number[]; val: number[] } {
  const prescribed = s.folds === undefined ? prescribedSplit(data.dir, data.train.ids) : undefined;
  if (prescribed) return prescribed;
  const seed = s.splitSeed ?? s.seed;
  const classes = data.train.ids.map((_, i) => coverageClass(coverage(data.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS))));
  if (s.folds !== undefined) {
    const fold = stratifiedFolds(classes, s.folds, seed);
    return { train: fold.flatMap((f, i) => (f !== s.fold ? [i] : [])), val: fold.flatMap((f, i) => (f === s.fold ? [i] : [])) };
  }
  return stratifiedSplit(classes, s.valFraction, seed);
}

/**
 * The validation tiles of a split, gathered into their own arrays: images N×101×101 float32 in [0,1]
 * (empty when `data` was read without images), masks uint8 0/1.
 */
export function validationTiles(data: TgsData, s: SplitSpec): { ids: string[]; images: Float32Array; masks: Uint8Array } {
  const { val } = splitIndices(data, s);
  const withImages = data.train.images.length > 0;
  const images = new Float32Array(withImages ? val.length * PIXELS : 0), masks = new Uint8Array(val.length * PIXELS);
  val.forEach((i, k) => {
    if (withImages) images.set(data.train.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    masks.set(data.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
  });
  return { ids: val.map((i) => data.train.ids[i]!), images, masks };
}
