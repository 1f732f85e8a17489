// Batched inference: probabilities for N tiles, with horizontal-flip test-time augmentation.
import type { Module } from '../nn/module.js';
import { fromArray, noGrad, tidy } from '../torch/index.js';

export interface PredictOptions {
  batchSize?: number;
  /** Average with the prediction on the mirrored tile, mirrored back (on by default). */
  tta?: boolean;
  height?: number;
  width?: number;
  device?: string;
}

/** Sigmoid probabilities for `images` (N x H x W, row-major), in eval mode. */
export function predictProbabilities(model: Module, images: Float32Array, o: PredictOptions = {}): Float32Array {
  const h = o.height ?? 101, w = o.width ?? 101, p = h * w;
  const n = images.length / p;
  if (!Number.isInteger(n)) throw new RangeError(`${images.length} values are not a whole number of ${h}x${w} tiles`);
  const bs = o.batchSize ?? 64;
  const out = new Float32Array(images.length);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const probs = tidy(() => noGrad(() => {
        let x = fromArray(images.subarray(s * p, (s + m) * p), [m, 1, h, w]);
        if (o.device && o.device !== 'cpu') x = x.to(o.device as 'cuda');
        let prob = model.forward(x).sigmoid();
        if (o.tta !== false) prob = prob.add(model.forward(x.flip(3)).sigmoid().flip(3)).div(2);
        return prob.toArray() as Float32Array;
      }));
      out.set(probs, s * p);
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}
