// Augmentations for image/mask batches (NCHW), composed from a config and seeded. Geometric ones
// move image and mask with one sampling grid so they stay aligned; photometric ones touch only the
// image. All arithmetic runs in libtorch over the whole batch.
import { F, Tensor, fromArray, stack, tidy, where } from '../torch/index.js';
import { rng } from './random.js';

export type AugmentSpec =
  | { type: 'hflip'; p?: number }
  | { type: 'vflip'; p?: number }
  | { type: 'brightness'; limit: number; p?: number }
  | { type: 'contrast'; limit: number; p?: number }
  | { type: 'gamma'; limit: number; p?: number }
  /** Random shift (fraction of the side), zoom (1 ± scale; > 1 crops in) and small rotation (degrees). */
  | { type: 'shiftScale'; shift?: number; scale?: number; rotate?: number; p?: number; padding?: 'reflection' | 'zeros' | 'border' };

const TYPES = new Set(['hflip', 'vflip', 'brightness', 'contrast', 'gamma', 'shiftScale']);

/** Checks a config (e.g. from JSON) and names the bad entry. */
export function parseAugmentations(config: unknown, where = 'augmentations'): AugmentSpec[] {
  if (!Array.isArray(config)) throw new Error(`${where}: expected an array of {type, ...} objects`);
  return config.map((c, i) => {
    const spec = c as { type?: unknown; p?: unknown; limit?: unknown };
    if (typeof spec !== 'object' || spec === null || !TYPES.has(String(spec.type))) {
      throw new Error(`${where}[${i}]: unknown augmentation ${JSON.stringify(spec?.type)} (expected one of ${[...TYPES].join(', ')})`);
    }
    if (spec.p !== undefined && !(typeof spec.p === 'number' && spec.p >= 0 && spec.p <= 1)) throw new Error(`${where}[${i}]: p must be in [0, 1]`);
    if (['brightness', 'contrast', 'gamma'].includes(String(spec.type)) && !(typeof spec.limit === 'number' && spec.limit >= 0)) {
      throw new Error(`${where}[${i}]: ${String(spec.type)} needs a limit >= 0`);
    }
    return c as AugmentSpec;
  });
}

/** The seed's augmentation: horizontal flips. */
export const SEED_AUGMENTATIONS: AugmentSpec[] = [{ type: 'hflip', p: 0.5 }];

export class Augmenter {
  private readonly random: () => number;
  constructor(readonly specs: AugmentSpec[], seed: number) {
    this.random = rng(seed);
  }

  /**
   * Random square crops, one offset per sample drawn uniformly from the seeded generator, the same for
   * image and mask: [N, C, H, W] → [N, C, side, side] for both. Throws Error when side exceeds H or W.
   */
  crop(images: Tensor, masks: Tensor, side: number): { images: Tensor; masks: Tensor } {
    const [h, w] = [images.size(-2), images.size(-1)];
    if (side > h || side > w) throw new Error(`a crop of side ${side} does not fit tiles of ${h}x${w}: choose a crop of at most ${Math.min(h, w)}`);
    return tidy(() => {
      const at = Array.from({ length: images.size(0) }, () => [Math.floor(this.random() * (h - side + 1)), Math.floor(this.random() * (w - side + 1))] as const);
      const cut = (t: Tensor) => stack(at.map(([top, left], i) => t.select(0, i).slice(-2, top, top + side).slice(-1, left, left + side)));
      return { images: cut(images), masks: cut(masks) };
    });
  }

  /** Draws per-sample parameters from the seeded generator and applies every spec in order. */
  apply(images: Tensor, masks: Tensor): { images: Tensor; masks: Tensor } {
    return tidy(() => {
      let x = images, y = masks;
      const n = x.size(0);
      for (const s of this.specs) {
        const p = s.p ?? 0.5;
        const on = Array.from({ length: n }, () => this.random() < p);
        if (!on.some(Boolean)) continue;
        const sel = fromArray(on.map(Number), [n, 1, 1, 1], { dtype: 'bool' });
        const perSample = (draw: () => number, neutral: number) => fromArray(on.map((o) => (o ? draw() : neutral)), [n, 1, 1, 1]);
        const u = (lim: number) => () => (this.random() * 2 - 1) * lim;
        switch (s.type) {
          case 'hflip': x = where(sel, x.flip(3), x); y = where(sel, y.flip(3), y); break;
          case 'vflip': x = where(sel, x.flip(2), x); y = where(sel, y.flip(2), y); break;
          case 'brightness': x = x.add(perSample(u(s.limit), 0)); break;
          case 'contrast': {
            const mean = x.mean([1, 2, 3], true);
            x = x.sub(mean).mul(perSample(() => 1 + u(s.limit)(), 1)).add(mean);
            break;
          }
          case 'gamma': x = x.clamp(0, null).pow(perSample(() => Math.exp(u(s.limit)()), 1)); break;
          case 'shiftScale': {
            const theta = stack(on.map((o) => {
              if (!o) return fromArray([1, 0, 0, 0, 1, 0], [2, 3]);
              const zoom = 1 + u(s.scale ?? 0.1)();
              const a = (u(s.rotate ?? 0)() * Math.PI) / 180;
              const [tx, ty] = [u((s.shift ?? 0.0625) * 2)(), u((s.shift ?? 0.0625) * 2)()];
              // Output pixel -> input location: rotate, divide by zoom (zoom > 1 crops in), shift.
              return fromArray([Math.cos(a) / zoom, -Math.sin(a) / zoom, tx, Math.sin(a) / zoom, Math.cos(a) / zoom, ty], [2, 3]);
            }));
            const grid = F.affineGrid(theta.to(x.dtype as 'float32'), x.shape, false);
            const pad = s.padding ?? 'reflection';
            x = F.gridSample(x, grid, { mode: 'bilinear', paddingMode: pad });
            y = F.gridSample(y, grid, { mode: 'nearest', paddingMode: pad });
            break;
          }
        }
      }
      return { images: x === images ? x.clone() : x, masks: y === masks ? y.clone() : y };
    });
  }
}

/** Model-input transforms the seeds used: pad 101 -> 128 and crop back, or resize and back. */
export function padTo(x: Tensor, size: number, mode: 'reflect' | 'constant' = 'reflect'): Tensor {
  const [h, w] = [x.size(-2), x.size(-1)];
  const [top, left] = [Math.floor((size - h) / 2), Math.floor((size - w) / 2)];
  return F.pad(x, [left, size - w - left, top, size - h - top], mode);
}
export function cropFrom(x: Tensor, size: number): Tensor {
  const [h, w] = [x.size(-2), x.size(-1)];
  const [top, left] = [Math.floor((h - size) / 2), Math.floor((w - size) / 2)];
  return x.slice(-2, top, top + size).slice(-1, left, left + size);
}
export function resizeTo(x: Tensor, size: number, mode: 'bilinear' | 'nearest' = 'bilinear'): Tensor {
  return F.interpolate(x, { size, mode, alignCorners: false });
}
