// Tiles and masks from PNG files, through halite's one decoder (io/png): every bit depth, palette and
// colour type, read as PIL reads it.
import { readFileSync } from 'node:fs';
import { decodePng, greyLevels, nonBlack, type DecodedPng } from '../io/png.js';
import { firstNonFinite } from './arrays.js';
import { TILE } from './rle.js';
import { readReason } from '../io/errno.js';

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

function decodeFile(path: string): DecodedPng {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read: ${readReason(e)}`);
  }
  let png: DecodedPng;
  try {
    png = decodePng(bytes, path);
  } catch (e) {
    throw new DataError((e as Error).message);
  }
  if (png.width !== TILE || png.height !== TILE) throw new DataError(`${path}: tile is ${png.width}x${png.height}, expected ${TILE}x${TILE}`);
  return png;
}

/**
 * A seismic tile as one grey channel in [0, 1] (io/png greyLevels: PIL's `convert('L')` / 255, or a
 * 16-bit grey sample / 65535), written into `out` at `offset` (101 x 101, row-major). Throws
 * DataError naming the file when it cannot be read, is not a PNG, is corrupt, is not 101x101.
 */
export function readImage(path: string, out: Float32Array, offset = 0): void {
  const png = decodeFile(path);
  greyLevels(png, out, offset);
  // Whole-number samples over a positive maximum: always finite. Checked all the same, as the
  // promise that no NaN reaches a model starts here.
  const bad = firstNonFinite(out, offset, offset + TILE * TILE);
  if (bad >= 0) throw new DataError(`${path}: pixel ${bad - offset} decoded to ${out[bad]}; a tile must hold finite values`);
}

/**
 * A mask as 0/1, written into `out` at `offset`: any pixel that is not black is salt (grey above 0,
 * or a palette colour other than black). Throws DataError as readImage does.
 */
export function readMask(path: string, out: Uint8Array, offset = 0): void {
  nonBlack(decodeFile(path), out, offset);
}
