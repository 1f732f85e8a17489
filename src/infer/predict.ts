// Batched inference: mask probabilities and salt-classifier probabilities for N tiles, with
// horizontal-flip test-time augmentation.
import type { Module } from '../nn/module.js';
import { isMultiHead } from '../models/heads.js';
import { fromArray, noGrad, tidy, type Tensor } from '../torch/index.js';

export interface PredictOptions {
  batchSize?: number;
  /** Average with the prediction on the mirrored tile, mirrored back (on by default). */
  tta?: boolean;
  height?: number;
  width?: number;
  device?: string;
}

/**
 * Runs `fn` on batches of tiles in eval mode without gradients and concatenates its outputs
 * (`perTile` values per tile).
 */
function batched(model: Module, images: Float32Array, o: PredictOptions, perTile: number, fn: (x: Tensor) => Tensor): Float32Array {
  const h = o.height ?? 101, w = o.width ?? 101, p = h * w;
  const n = images.length / p;
  if (!Number.isInteger(n)) throw new RangeError(`${images.length} values are not a whole number of ${h}x${w} tiles`);
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

/** Sigmoid probabilities for `images` (N x H x W, row-major). */
export function predictProbabilities(model: Module, images: Float32Array, o: PredictOptions = {}): Float32Array {
  const p = (o.height ?? 101) * (o.width ?? 101);
  return batched(model, images, o, p, (x) => {
    const prob = model.forward(x).sigmoid();
    return o.tta !== false ? prob.add(model.forward(x.flip(3)).sigmoid().flip(3)).div(2) : prob;
  });
}

/**
 * Mask probabilities and, for a model with a thresholding salt gate, the classifier's probabilities
 * with the mask left ungated: the gate is then applied with the tuned post-processing (toMask).
 */
export function predictTiles(model: Module, images: Float32Array, o: PredictOptions = {}): { probs: Float32Array; salt: Float32Array | null } {
  if (!isMultiHead(model) || model.gateMode !== 'threshold') return { probs: predictProbabilities(model, images, o), salt: null };
  const g = model.gateThreshold;
  model.gateThreshold = 0;
  try {
    return { probs: predictProbabilities(model, images, o), salt: predictSalt(model, images, o) };
  } finally {
    model.gateThreshold = g;
  }
}

/** The salt classifier's probability per tile, or null for models without one. */
export function predictSalt(model: Module, images: Float32Array, o: PredictOptions = {}): Float32Array | null {
  if (!isMultiHead(model) || !model.hasClassifier) return null;
  const salt = (x: Tensor) => {
    const heads = model.forwardHeads(x);
    return heads.salt!.sigmoid();
  };
  return batched(model, images, o, 1, (x) => (o.tta !== false ? salt(x).add(salt(x.flip(3))).div(2) : salt(x)));
}
