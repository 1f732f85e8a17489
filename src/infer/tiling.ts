// Images larger (or smaller) than a tile: cut into overlapping 101×101 tiles, predict them as one
// batch, and stitch the probabilities back with a blending window. Cutting and stitching are ATen
// views and in-place adds (one narrow per tile), so no per-pixel arithmetic runs in JavaScript.
import { TILE } from '../data/rle.js';
import { F, fromArray, ones, stack, tidy, zeros, type Tensor } from '../torch/index.js';

/** Tile origins along an axis of `length`: every `stride`, with the last tile flush to the end. */
export function tileOrigins(length: number, tile = TILE, stride = Math.floor(tile / 2)): number[] {
  if (length <= tile) return [0];
  const out: number[] = [];
  for (let o = 0; o + tile < length; o += stride) out.push(o);
  out.push(length - tile);
  return out;
}

export interface Tiling { width: number; height: number; xs: number[]; ys: number[] }

/** The tiling of a `width`×`height` image: origins every `stride` (default TILE/2) along each axis. */
export function tilingOf(width: number, height: number, stride?: number): Tiling {
  return { width, height, xs: tileOrigins(width, TILE, stride), ys: tileOrigins(height, TILE, stride) };
}

/**
 * The tiles of `image` ([height × width] tensor, any float dtype) as an [N, TILE, TILE] tensor, row
 * by row of tiles (ys outer, xs inner); an image smaller than a tile is edge-replicated to one.
 */
export function tileTensor(image: Tensor, t: Tiling): Tensor {
  const padH = Math.max(0, TILE - t.height), padW = Math.max(0, TILE - t.width);
  const x = padH || padW ? F.pad(image.reshape([1, 1, t.height, t.width]), [0, padW, 0, padH], 'replicate').reshape([t.height + padH, t.width + padW]) : image;
  return stack(t.ys.flatMap((y0) => t.xs.map((x0) => x.narrow(0, y0, TILE).narrow(1, x0, TILE))));
}

/**
 * Per-pixel mean of `tiles` ([N, TILE, TILE], in tileTensor's order) over every tile that covers the
 * pixel, weighted by `window` ([TILE, TILE], positive; default flat: a plain mean). Returns a float64
 * [height × width] tensor: sums are float64 and divided by the pixel's own total weight, so equal
 * tile values come back exactly.
 */
export function stitchTensor(tiles: Tensor, t: Tiling, window?: Float32Array): Tensor {
  if (window && window.length !== TILE * TILE) throw new RangeError(`blend window has ${window.length} values; a tile has ${TILE * TILE}`);
  const w = window ? fromArray(window, [TILE, TILE]).double() : ones([TILE, TILE], { dtype: 'float64' });
  const weighted = tiles.double().mul(w);
  const sum = zeros([t.height, t.width], { dtype: 'float64' }), weight = zeros([t.height, t.width], { dtype: 'float64' });
  let k = 0;
  for (const y0 of t.ys) {
    const h = Math.min(TILE, t.height - y0);
    for (const x0 of t.xs) {
      const wd = Math.min(TILE, t.width - x0);
      sum.narrow(0, y0, h).narrow(1, x0, wd).add_(weighted.select(0, k++).narrow(0, 0, h).narrow(1, 0, wd));
      weight.narrow(0, y0, h).narrow(1, x0, wd).add_(w.narrow(0, 0, h).narrow(1, 0, wd));
    }
  }
  return sum.div(weight);
}

/** The tiles of a `width`×`height` image (row-major), edge-replicated where the image is smaller: N×TILE×TILE values. */
export function cutTiles(image: Float32Array, width: number, height: number, stride?: number): { tiles: Float32Array; tiling: Tiling } {
  if (image.length !== width * height) throw new RangeError(`${image.length} values are not a ${width}x${height} image`);
  const tiling = tilingOf(width, height, stride);
  return { tiles: tidy(() => tileTensor(fromArray(image, [height, width]), tiling).toArray() as Float32Array), tiling };
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

/** stitchTensor on arrays: `tiles` N×TILE×TILE values in, the `width`×`height` image (row-major) out. */
export function stitchTiles(tiles: Float32Array, t: Tiling, window?: Float32Array): Float32Array {
  return tidy(() => stitchTensor(fromArray(tiles, [t.xs.length * t.ys.length, TILE, TILE]), t, window).float().toArray() as Float32Array);
}

/**
 * Probabilities for a `width`×`height` image (row-major, any size): cut into tiles, predicted by
 * `predict` (N×101×101 in, the same shape out) and stitched with blendWindow(), so seams do not show.
 * What the web app's Try it and `halite predict` do with an image that is not a competition tile.
 */
export function predictSection(image: Float32Array, width: number, height: number, predict: (tiles: Float32Array) => Float32Array): { probs: Float32Array; tiles: number } {
  const { tiles, tiling } = cutTiles(image, width, height);
  return { probs: stitchTiles(predict(tiles), tiling, blendWindow()), tiles: tiling.xs.length * tiling.ys.length };
}
