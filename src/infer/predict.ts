// Batched inference: mask probabilities and salt-classifier probabilities for N tiles, with
// horizontal-flip test-time augmentation.
import { firstNonFinite } from '../data/arrays.js';
import { DataError } from '../data/png.js';
import type { Module } from '../nn/module.js';
import { isMultiHead } from '../models/heads.js';
import { autocast, cat, fromArray, noGrad, tidy, type Precision, type Tensor } from '../torch/index.js';

export interface PredictOptions {
  batchSize?: number;
  /** Average with the prediction on the mirrored tile, mirrored back (on by default). */
  tta?: boolean;
  height?: number;
  width?: number;
  device?: string;
  /**
   * fp32 (default: the network as trained), or bf16: its forward under bfloat16 autocast (convolutions
   * in bfloat16, as torch.autocast), its logits back in float32 before the sigmoid. Faster where the CPU
   * has native bfloat16 (`halite doctor`); probabilities move by about 1e-3.
   */
  precision?: Precision;
}

/**
 * Runs the network's forward `f` in `precision` (see PredictOptions.precision) and gives `f`'s tensors
 * back in float32, so that sigmoids, TTA averages and thresholds stay float32.
 */
function forwardIn<R extends Tensor | Tensor[]>(x: Tensor, precision: Precision | undefined, f: () => R): R {
  if (precision !== 'bf16') return f();
  const out = autocast(x.device, 'bf16', f);
  return (Array.isArray(out) ? out.map((t) => t.float()) : out.float()) as R;
}

/**
 * Runs `fn` on batches of tiles in eval mode without gradients and concatenates its outputs
 * (`perTile` values per tile).
 */
function batched(model: Module, images: Float32Array, o: PredictOptions, perTile: number, fn: (x: Tensor) => Tensor): Float32Array {
  const h = o.height ?? 101, w = o.width ?? 101, p = h * w;
  const n = images.length / p;
  if (!Number.isInteger(n)) throw new RangeError(`${images.length} values are not a whole number of ${h}x${w} tiles`);
  // Every prediction passes here (predictProbabilities, predictTiles, ensembles, the web app): the
  // last gate before a NaN would reach the model and come out as an empty mask.
  const bad = firstNonFinite(images);
  if (bad >= 0) throw new DataError(`tile ${Math.floor(bad / p)} of the ${n} to predict holds ${images[bad]} at pixel ${bad % p}; a tile must hold finite values`);
  const bs = o.batchSize ?? 64;
  const out = new Float32Array(n * perTile);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const vals = tidy(() => noGrad(() => {
        let x = fromArray(images.subarray(s * p, (s + m) * p), [m, 1, h, w]);
        if (o.device && o.device !== 'cpu') x = x.to(o.device as 'cuda');
        return fn(x).toArray() as Float32Array;
      }));
      out.set(vals, s * perTile);
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/**
 * One batch's mask probabilities, N x 1 x H x W float32: the sigmoid of the model's (gated) logits,
 * with `tta` averaged with the mirrored tiles' (mirrored back). What predictProbabilities computes per
 * batch and an ONNX export traces (src/export/), so both are the same computation.
 */
export function maskProbabilities(model: Module, x: Tensor, tta: boolean, precision?: Precision): Tensor {
  const prob = (t: Tensor) => forwardIn(t, precision, () => model.call(t)).sigmoid();
  return tta ? prob(x).add(prob(x.flip(3)).flip(3)).div(2) : prob(x);
}

/**
 * One batch's salt-classifier probabilities, N x 1 float32 (the probability that a tile holds salt),
 * with `tta` averaged with the mirrored tiles', as predictTiles' salt. Throws Error if the model has no classifier.
 */
export function saltProbabilities(model: Module, x: Tensor, tta: boolean, precision?: Precision): Tensor {
  if (!isMultiHead(model) || !model.hasClassifier) throw new Error(`${model.constructor.name} has no salt classifier`);
  const salt = (t: Tensor) => forwardIn(t, precision, () => model.forwardHeads(t).salt!).sigmoid().view(-1, 1);
  return tta ? salt(x).add(salt(x.flip(3))).div(2) : salt(x);
}

/** Sigmoid probabilities for `images` (N x H x W, row-major). Throws DataError if a tile holds NaN or ±Infinity. */
export function predictProbabilities(model: Module, images: Float32Array, o: PredictOptions = {}): Float32Array {
  const p = (o.height ?? 101) * (o.width ?? 101);
  return batched(model, images, o, p, (x) => maskProbabilities(model, x, o.tta !== false, o.precision));
}

/**
 * Mask probabilities and, for a model with a thresholding salt gate, the classifier's probabilities
 * with the mask left ungated: the gate is then applied with the tuned post-processing (toMask).
 * Both come from one forwardHeads pass per batch (and per flip), packed as PIXELS + 1 values a tile.
 * Throws DataError if a tile holds NaN or ±Infinity.
 */
export function predictTiles(model: Module, images: Float32Array, o: PredictOptions = {}): { probs: Float32Array; salt: Float32Array | null } {
  if (!isMultiHead(model) || model.gateMode !== 'threshold') return { probs: predictProbabilities(model, images, o), salt: null };
  const p = (o.height ?? 101) * (o.width ?? 101);
  const heads = (x: Tensor, flip: boolean): Tensor => {
    const t = flip ? x.flip(3) : x;
    const [mask, salt] = forwardIn(t, o.precision, () => { const h = model.forwardHeads(t); return [h.mask, h.salt!]; });
    const prob = flip ? mask.sigmoid().flip(3) : mask.sigmoid();
    return cat([prob.flatten(1), salt.sigmoid().view(-1, 1)], 1);
  };
  const packed = batched(model, images, o, p + 1, (x) => (o.tta !== false ? heads(x, false).add(heads(x, true)).div(2) : heads(x, false)));
  const n = packed.length / (p + 1);
  const probs = new Float32Array(n * p), salt = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    probs.set(packed.subarray(i * (p + 1), i * (p + 1) + p), i * p);
    salt[i] = packed[i * (p + 1) + p]!;
  }
  return { probs, salt };
}
