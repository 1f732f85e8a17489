// The U-Net data path both seed models share: encoder levels, each followed by pooling and dropout;
// a middle block; decoder levels that upsample, concatenate the skip, drop out and convolve; a head.
// Each step runs in its own scope, so what autograd does not keep (pooled maps, upsampled maps, the
// concatenations) is freed as soon as the step is done.
import { cat, tidy } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import type { Module } from '../nn/module.js';

export interface UNetParts {
  enc: Module[];
  middle: Module;
  /** Deepest first, one per encoder level. */
  up: Module[];
  dec: Module[];
  head: Module;
  pool: Module;
  /** Dropout after the first pool; `drop` after the others and before each decoder level. */
  firstDrop: Module;
  drop: Module;
}

/** NCHW input to 1-channel logits; run inside call() (or tidy()), which frees what it keeps for the skips. */
export function unetForward(x: Tensor, p: UNetParts): Tensor {
  const skips: Tensor[] = [];
  let h = x;
  p.enc.forEach((level, i) => {
    const skip = level.call(h);
    skips.push(skip);
    h = tidy(() => (i === 0 ? p.firstDrop : p.drop).call(p.pool.call(skip)));
  });
  let d = p.middle.call(h);
  p.dec.forEach((level, k) => {
    const skip = skips[skips.length - 1 - k]!;
    d = tidy(() => level.call(p.drop.call(cat([p.up[k]!.call(d), skip], 1))));
  });
  return p.head.call(d);
}
