// Images larger (or smaller) than a tile: cut into overlapping 101×101 tiles, predict them as one
// batch, and stitch the probabilities back by averaging where tiles overlap.
import { TILE } from '../data/rle.js';

/** Tile origins along an axis of `length`: every `stride`, with the last tile flush to the end. */
export function tileOrigins(length: number, tile = TILE, stride = Math.floor(tile / 2)): number[] {
  if (length <= tile) return [0];
  const out: number[] = [];
  for (let o = 0; o + tile < length; o += stride) out.push(o);
  out.push(length - tile);
  return out;
}

export interface Tiling { width: number; height: number; xs: number[]; ys: number[] }

/** The tiles of a `width`×`height` image (row-major), edge-replicated where the image is smaller. */
export function cutTiles(image: Float32Array, width: number, height: number, stride?: number): { tiles: Float32Array; tiling: Tiling } {
  if (image.length !== width * height) throw new RangeError(`${image.length} values are not a ${width}x${height} image`);
  const xs = tileOrigins(width, TILE, stride), ys = tileOrigins(height, TILE, stride);
  const tiles = new Float32Array(xs.length * ys.length * TILE * TILE);
  let t = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      for (let r = 0; r < TILE; r++) {
        const y = Math.min(y0 + r, height - 1);
        for (let c = 0; c < TILE; c++) tiles[t * TILE * TILE + r * TILE + c] = image[y * width + Math.min(x0 + c, width - 1)]!;
      }
      t++;
    }
  }
  return { tiles, tiling: { width, height, xs, ys } };
}

/**
 * A TILE×TILE blending window (row-major): the outer product of a 1D Hann window lifted to a floor,
 * w(r) = floor + (1 - floor)·sin²(π(r + ½)/TILE). Tiles then fade out towards their edges, where a
 * network sees least context, so overlapping predictions meet without seams; the floor keeps pixels
 * that only one tile's edge covers (image borders) weighted. The usual choice for overlapping-tile
 * inference (e.g. Pielawski & Wählby 2020, "Introducing Hann windows for reducing edge-effects in
 * patch-based image segmentation", PLoS ONE 15(3)).
 */
export function blendWindow(floor = 0.1, tile = TILE): Float32Array {
  if (!(floor > 0 && floor <= 1)) throw new RangeError(`blend window floor ${floor}: expected 0 < floor <= 1 (1 is a flat window: a plain mean)`);
  const w1 = Array.from({ length: tile }, (_, r) => floor + (1 - floor) * Math.sin((Math.PI * (r + 0.5)) / tile) ** 2);
  const w = new Float32Array(tile * tile);
  for (let r = 0; r < tile; r++) for (let c = 0; c < tile; c++) w[r * tile + c] = w1[r]! * w1[c]!;
  return w;
}

/**
 * Per-pixel mean of the tiles' values over every tile that covers the pixel, weighted by `window`
 * (TILE×TILE, positive; default flat: a plain mean). Sums are float64 and divided by the pixel's own
 * total weight, so equal tile values come back exactly.
 */
export function stitchTiles(tiles: Float32Array, t: Tiling, window?: Float32Array): Float32Array {
  if (window && window.length !== TILE * TILE) throw new RangeError(`blend window has ${window.length} values; a tile has ${TILE * TILE}`);
  const sum = new Float64Array(t.width * t.height), weight = new Float64Array(t.width * t.height);
  let k = 0;
  for (const y0 of t.ys) {
    for (const x0 of t.xs) {
      for (let r = 0; r < TILE && y0 + r < t.height; r++) {
        for (let c = 0; c < TILE && x0 + c < t.width; c++) {
          const i = (y0 + r) * t.width + x0 + c;
          const w = window ? window[r * TILE + c]! : 1;
          sum[i]! += w * tiles[k * TILE * TILE + r * TILE + c]!;
          weight[i]! += w;
        }
      }
      k++;
    }
  }
  const out = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = sum[i]! / weight[i]!;
  return out;
}

/**
 * Probabilities for a `width`×`height` image (row-major, any size): cut into tiles, predicted by
 * `predict` (N×101×101 in, the same shape out) and stitched. What the web app's Try it and
 * `halite predict` do with an image that is not a competition tile.
 */
export function predictSection(image: Float32Array, width: number, height: number, predict: (tiles: Float32Array) => Float32Array): { probs: Float32Array; tiles: number } {
  const { tiles, tiling } = cutTiles(image, width, height);
  return { probs: stitchTiles(predict(tiles), tiling), tiles: tiling.xs.length * tiling.ys.length };
}
