// Pseudo-labels: unlabelled tiles whose predicted probabilities are confident (most pixels below `low`
// or above `high`), written as a folder of images and masks that training can add.
// The folder is written whole beside its place and renamed in, so a second round never mixes with the first.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encode } from 'fast-png';
import { decodeImages, decodeMasks } from './decode-pool.js';
import { DataError } from './png.js';
import { PIXELS, TILE } from './rle.js';
import { makeFolders, writeFolderWhole } from '../io/folders.js';

export interface PseudoInfo {
  sources: string[];
  threshold: number;
  low: number;
  high: number;
  /** The fraction of a tile's pixels that had to be confident for it to be kept (absent in folders written before it existed: 1). */
  minConfident?: number;
  kept: number;
  total: number;
}

/**
 * The fraction of a tile's pixels that are confidently salt (p > high) or confidently not (p < low):
 * the TGS winners' pseudo-label confidence (b.e.s. & phalanx, 1st place; they kept test tiles at >= 0.9 with
 * 0.2 and 0.8). `prob`: one tile's probabilities, any length > 0. Returns a number in [0, 1].
 */
export function confidentFraction(prob: Float32Array, low: number, high: number): number {
  let n = 0;
  for (const p of prob) if (p < low || p > high) n++;
  return n / prob.length;
}

/**
 * Writes the confident tiles of `ids` (PNG files in imagesDir; those with at least `minConfident` of their
 * pixels confident, confidentFraction) with masks at `threshold` as the folder
 * `dir` (images/, masks/, pseudo.json), whole: a second round replaces the first (writeFolderWhole).
 * Returns the info.
 * @throws RangeError unless 0 <= low < high <= 1 and 0 < minConfident <= 1; Error from the file system, naming the file
 */
export function writePseudoLabels(dir: string, ids: readonly string[], imagesDir: string, probs: Float32Array,
  o: { threshold: number; low: number; high: number; minConfident: number; sources: string[] }): PseudoInfo {
  if (!(o.low >= 0 && o.low < o.high && o.high <= 1)) throw new RangeError(`pseudo-labels need 0 <= low < high <= 1, got low ${o.low}, high ${o.high}`);
  if (!(o.minConfident > 0 && o.minConfident <= 1)) throw new RangeError(`--min-confident must be a fraction in (0, 1], got ${o.minConfident}`);
  return writeFolderWhole(dir, (tmp) => {
    makeFolders(join(tmp, 'images'));
    makeFolders(join(tmp, 'masks'));
    let kept = 0;
    ids.forEach((id, i) => {
      const p = probs.subarray(i * PIXELS, (i + 1) * PIXELS);
      if (confidentFraction(p, o.low, o.high) < o.minConfident) return;
      const mask = new Uint8Array(PIXELS);
      for (let k = 0; k < PIXELS; k++) mask[k] = p[k]! > o.threshold ? 255 : 0;
      copyFileSync(join(imagesDir, `${id}.png`), join(tmp, 'images', `${id}.png`));
      // Plain writes: the temporary folder as a whole is what is renamed into place.
      writeFileSync(join(tmp, 'masks', `${id}.png`), encode({ width: TILE, height: TILE, data: mask, channels: 1, depth: 8 }));
      kept++;
    });
    const info: PseudoInfo = { sources: o.sources, threshold: o.threshold, low: o.low, high: o.high, minConfident: o.minConfident, kept, total: ids.length };
    writeFileSync(join(tmp, 'pseudo.json'), JSON.stringify(info, null, 2) + '\n');
    return info;
  });
}

export async function readPseudoLabels(dir: string): Promise<{ ids: string[]; images: Float32Array; masks: Uint8Array; info: PseudoInfo }> {
  const root = resolve(dir);
  const infoPath = join(root, 'pseudo.json');
  if (!existsSync(infoPath)) throw new DataError(`${root}: no pseudo.json; write the folder with halite pseudo-label`);
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as PseudoInfo;
  const ids = readdirSync(join(root, 'masks')).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
  for (const id of ids) if (!existsSync(join(root, 'images', `${id}.png`))) throw new DataError(`${join(root, 'masks', `${id}.png`)}: no matching image in ${join(root, 'images')}`);
  if (ids.length !== info.kept) throw new DataError(`${infoPath}: says ${info.kept} tiles, ${join(root, 'masks')} holds ${ids.length}`);
  const [images, masks] = await Promise.all([decodeImages(ids.map((id) => join(root, 'images', `${id}.png`))), decodeMasks(ids.map((id) => join(root, 'masks', `${id}.png`)))]);
  return { ids, images, masks, info };
}
