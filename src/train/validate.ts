// One epoch's validation: the phase's loss and the competition metric at threshold 0.5 on
// probabilities (0 on logits), without TTA, as the write-up monitors it.
import { PIXELS } from '../data/rle.js';
import type { Loss } from '../losses/losses.js';
import { binarize, imageScore } from '../metrics/competition.js';
import type { Module } from '../nn/module.js';
import { fromArray, noGrad, tidy } from '../torch/index.js';
import { maskTensor } from './batch.js';

/**
 * Mean loss and mAP over validation tiles (images N·101·101 float32, masks uint8 0/1), in batches of
 * `batchSize`, in eval mode (the model is back in train mode afterwards).
 */
export function validateEpoch(model: Module, lossFn: Loss, images: Float32Array, masks: Uint8Array, batchSize: number): { loss: number; map: number } {
  const v = validationSums(model, lossFn, images, masks, batchSize);
  return { loss: v.lossSum / v.count, map: v.scoreSum / v.count };
}

/**
 * The sums behind validateEpoch's means (meanScore's sum of imageScore, in tile order) over a block of validation tiles (none is fine), for reducing over ranks:
 * batch loss × batch size, the competition score of each tile (at 0 on logits), and the tile count.
 */
export function validationSums(model: Module, lossFn: Loss, images: Float32Array, masks: Uint8Array, batchSize: number): { lossSum: number; scoreSum: number; count: number } {
  const n = images.length / PIXELS;
  let lossSum = 0, scoreSum = 0;
  model.eval();
  try {
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const [l, logits] = tidy(() => noGrad(() => {
        const x = fromArray(images.subarray(s * PIXELS, (s + m) * PIXELS), [m, 1, 101, 101]);
        const y = maskTensor(masks.subarray(s * PIXELS, (s + m) * PIXELS), [m, 1, 101, 101]);
        const out = model.call(x);
        return [lossFn(out, y).item(), out.toArray() as Float32Array] as const;
      }));
      lossSum += l * m;
      for (let k = 0; k < m; k++) {
        scoreSum += imageScore(masks.subarray((s + k) * PIXELS, (s + k + 1) * PIXELS), binarize(logits.subarray(k * PIXELS, (k + 1) * PIXELS), 0));
      }
    }
  } finally {
    model.train();
  }
  return { lossSum, scoreSum, count: n };
}
