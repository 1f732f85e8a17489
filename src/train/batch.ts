// A batch's arrays as the tensors a training or validation step takes.
import type { Batch } from '../data/loader.js';
import { fromArray, type Tensor } from '../torch/index.js';

/**
 * Masks of 0/1 bytes (any length, `shape` giving [N, 1, H, W]) as a float32 tensor of that shape,
 * converted by libtorch. Call it inside tidy(), which frees the byte tensor.
 */
export function maskTensor(masks: Uint8Array, shape: number[]): Tensor {
  return fromArray(masks, shape).float();
}

/**
 * A labelled batch as the tensors a training step takes: images and masks, both float32
 * [size, 1, H, W] (masks 0/1). One function for the trainer and `halite bench loader`, so the bench
 * times what training does. Call it inside tidy(). @throws Error when the batch has no masks.
 */
export function batchTensors(b: Batch): { images: Tensor; masks: Tensor } {
  if (!b.masks) throw new Error('a training batch needs masks; this loader\'s source has none');
  return { images: fromArray(b.images, b.shape), masks: maskTensor(b.masks, b.shape) };
}
