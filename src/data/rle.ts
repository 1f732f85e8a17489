// Kaggle's run-length encoding for TGS masks: pixels numbered from 1, top to bottom then left to
// right (column-major), sorted non-overlapping "start length" pairs, "" for no salt.

export const TILE = 101;
export const PIXELS = TILE * TILE;

export class RleError extends Error {
  constructor(where: string, what: string) {
    super(`${where}: malformed RLE: ${what}`);
    this.name = 'RleError';
  }
}

/**
 * Encodes a row-major mask (any non-zero is salt) of height x width.
 * Returns "" when the mask is empty.
 */
export function rleEncode(mask: ArrayLike<number>, height = TILE, width = TILE): string {
  if (mask.length !== height * width) throw new RangeError(`mask has ${mask.length} pixels, expected ${height}x${width}`);
  const out: number[] = [];
  let start = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const k = x * height + y; // column-major index, 0-based
      if (mask[y * width + x]) {
        if (run === 0) start = k + 1;
        run++;
      } else if (run > 0) {
        out.push(start, run);
        run = 0;
      }
    }
  }
  if (run > 0) out.push(start, run);
  return out.join(' ');
}

/**
 * Decodes into a row-major Uint8Array of 0/1. `where` names the source (file and line, or id) in
 * errors; every malformation is an error, none is skipped.
 */
export function rleDecode(rle: string, where = 'rle', height = TILE, width = TILE): Uint8Array {
  const n = height * width;
  const mask = new Uint8Array(n);
  const text = rle.trim();
  if (text === '') return mask;
  const tokens = text.split(/\s+/);
  if (tokens.length % 2 !== 0) throw new RleError(where, `odd number of tokens (${tokens.length}); expected start/length pairs`);
  let end = 0; // one past the last pixel of the previous run, 1-based
  for (let i = 0; i < tokens.length; i += 2) {
    const [s, l] = [tokens[i]!, tokens[i + 1]!];
    if (!/^\d+$/.test(s)) throw new RleError(where, `pair ${i / 2 + 1}: start '${s}' is not a whole number`);
    if (!/^\d+$/.test(l)) throw new RleError(where, `pair ${i / 2 + 1}: length '${l}' is not a whole number`);
    const start = Number(s), len = Number(l);
    if (start < 1) throw new RleError(where, `pair ${i / 2 + 1}: start ${start} < 1 (pixels are numbered from 1)`);
    if (len < 1) throw new RleError(where, `pair ${i / 2 + 1}: length ${len} < 1`);
    if (start + len - 1 > n) throw new RleError(where, `pair ${i / 2 + 1}: run ${start}+${len} ends at pixel ${start + len - 1}, past ${n}`);
    if (start < end) {
      throw new RleError(where, `pair ${i / 2 + 1}: run at ${start} overlaps or precedes the previous run, which ends at pixel ${end - 1} (runs must be sorted and must not overlap)`);
    }
    for (let k = start - 1; k < start - 1 + len; k++) {
      const x = Math.floor(k / height), y = k % height;
      mask[y * width + x] = 1;
    }
    end = start + len;
  }
  return mask;
}
