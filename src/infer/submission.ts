// Kaggle submissions from probabilities: threshold, minimum salt area, RLE, every id in order.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { writeFileAtomic } from '../io/atomic.js';
import { binarize } from '../metrics/competition.js';
import { PIXELS, rleEncode, TILE } from '../data/rle.js';
import { postprocessMask } from './tune.js';

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

/** Writes id,rle_mask rows for `ids` (probabilities N x 10201 in the same order), atomically. */
export function writeSubmission(path: string, ids: readonly string[], probs: Float32Array, o: MaskOptions & { masksDir?: string; salt?: Float32Array | null }): { empty: number } {
  if (probs.length !== ids.length * PIXELS) throw new RangeError(`${ids.length} ids but ${probs.length / PIXELS} predicted tiles`);
  if (o.masksDir) mkdirSync(o.masksDir, { recursive: true });
  const rows = ['id,rle_mask'];
  let empty = 0;
  ids.forEach((id, i) => {
    const m = toMask(probs.subarray(i * PIXELS, (i + 1) * PIXELS), o, o.salt ? o.salt[i]! : null);
    const rle = rleEncode(m);
    if (rle === '') empty++;
    rows.push(`${id},${rle}`);
    if (o.masksDir) writeMaskPng(join(o.masksDir, `${id}.png`), m);
  });
  writeFileAtomic(path, rows.join('\n') + '\n');
  return { empty };
}
