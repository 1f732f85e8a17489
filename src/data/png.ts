// Tiles and masks from PNG (fast-png handles 8- and 16-bit, grey and RGB).
import { readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { TILE } from './rle.js';

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

function decodeFile(path: string): ReturnType<typeof decode> {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(readFileSync(path));
  } catch (e) {
    throw new DataError(`${path}: not a readable PNG (corrupt or truncated): ${(e as Error).message}`);
  }
  if (png.width !== TILE || png.height !== TILE) throw new DataError(`${path}: tile is ${png.width}x${png.height}, expected ${TILE}x${TILE}`);
  return png;
}

/** A seismic tile as one channel scaled to [0, 1], written into `out` at `offset` (row-major). */
export function readImage(path: string, out: Float32Array, offset = 0): void {
  const png = decodeFile(path);
  const ch = png.channels;
  const max = png.depth === 16 ? 65535 : 255;
  if (ch !== 1 && ch !== 2 && ch !== 3 && ch !== 4) throw new DataError(`${path}: unsupported PNG with ${ch} channels`);
  const n = TILE * TILE;
  for (let i = 0; i < n; i++) out[offset + i] = png.data[i * ch]! / max; // grey, or R of R=G=B
}

/** A mask as 0/1 (any value > 0 is salt), written into `out` at `offset`. */
export function readMask(path: string, out: Uint8Array, offset = 0): void {
  const png = decodeFile(path);
  const ch = png.channels;
  const n = TILE * TILE;
  for (let i = 0; i < n; i++) out[offset + i] = png.data[i * ch]! > 0 ? 1 : 0;
}
