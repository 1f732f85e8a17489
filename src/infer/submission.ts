// Kaggle submissions from probabilities: threshold, minimum salt area, RLE, every id in order.
import { join } from 'node:path';
import { encode } from 'fast-png';
import { writeFileAtomic } from '../io/atomic.js';
import { binarize } from '../metrics/competition.js';
import { PIXELS, rleEncode, TILE } from '../data/rle.js';
import { postprocessMask } from './tune.js';
import { makeFolders } from '../io/folders.js';

export interface MaskOptions {
  threshold: number;
  minArea?: number;
  /** Empty the mask when the tile's salt probability is below this. */
  gate?: number | null;
}

/** The binary mask of one tile; masks under minArea salt pixels, or with salt probability under gate, become empty. */
export function toMask(prob: Float32Array, o: MaskOptions, salt: number | null = null): Uint8Array {
  return postprocessMask(binarize(prob, o.threshold), salt, { minArea: o.minArea ?? 0, gate: o.gate ?? null });
}

/** Writes a 0/1 mask (width x height, row-major) as an 8-bit grey PNG of 0 and 255, atomically. */
export function writeMaskPng(path: string, mask: Uint8Array, width = TILE, height = TILE): void {
  writeFileAtomic(path, encode({ width, height, data: mask.map((v) => v * 255), channels: 1, depth: 8 }));
}

/**
 * The post-processed 0/1 masks of N tiles (probabilities N x 10201, salt probabilities N or null), as
 * toMask makes them: N x 10201 uint8.
 */
export function tileMasks(probs: Float32Array, o: MaskOptions & { salt?: Float32Array | null }): Uint8Array {
  const n = probs.length / PIXELS, out = new Uint8Array(probs.length);
  for (let i = 0; i < n; i++) out.set(toMask(probs.subarray(i * PIXELS, (i + 1) * PIXELS), o, o.salt ? o.salt[i]! : null), i * PIXELS);
  return out;
}

/** Writes id,rle_mask rows for `ids` (0/1 masks N x 10201 in the same order), atomically, and with `masksDir` each mask as a PNG. */
export function writeMaskSubmission(path: string, ids: readonly string[], masks: Uint8Array, masksDir?: string): { empty: number } {
  if (masks.length !== ids.length * PIXELS) throw new RangeError(`${ids.length} ids but ${masks.length / PIXELS} masks`);
  if (masksDir) makeFolders(masksDir);
  const rows = ['id,rle_mask'];
  let empty = 0;
  ids.forEach((id, i) => {
    const m = masks.subarray(i * PIXELS, (i + 1) * PIXELS);
    const rle = rleEncode(m);
    if (rle === '') empty++;
    rows.push(`${id},${rle}`);
    if (masksDir) writeMaskPng(join(masksDir, `${id}.png`), m);
  });
  writeFileAtomic(path, rows.join('\n') + '\n');
  return { empty };
}

/** Writes id,rle_mask rows for `ids` (probabilities N x 10201 in the same order), atomically. */
export function writeSubmission(path: string, ids: readonly string[], probs: Float32Array, o: MaskOptions & { masksDir?: string; salt?: Float32Array | null }): { empty: number } {
  if (probs.length !== ids.length * PIXELS) throw new RangeError(`${ids.length} ids but ${probs.length / PIXELS} predicted tiles`);
  return writeMaskSubmission(path, ids, tileMasks(probs, o), o.masksDir);
}
