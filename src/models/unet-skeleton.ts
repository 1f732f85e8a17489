// The U-Net data path both seed models share: encoder levels, each followed by pooling and dropout;
// a middle block; decoder levels that upsample, concatenate the skip, drop out and convolve; a head.
// Intermediate handles are dropped as soon as they are used (autograd keeps what it needs).
import { cat } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import type { Module } from '../nn/module.js';
import { chain } from '../nn/chain.js';

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

export function unetForward(x: Tensor, p: UNetParts): Tensor {
  const skips: Tensor[] = [];
  let h = x;
  p.enc.forEach((level, i) => {
    const c = level.forward(h);
    skips.push(c);
    const next = chain(c, (t) => p.pool.forward(t), (t) => (i === 0 ? p.firstDrop : p.drop).forward(t));
    if (h !== x) h.dispose();
    h = next;
  });
  let d = p.middle.forward(h);
  h.dispose();
  p.dec.forEach((level, k) => {
    const skip = skips[skips.length - 1 - k]!;
    const up = p.up[k]!.forward(d);
    const joined = cat([up, skip], 1);
    [up, skip, d].forEach((t) => t.dispose());
    d = chain(joined, (t) => p.drop.forward(t), (t) => level.forward(t));
    joined.dispose();
  });
  const out = p.head.forward(d);
  d.dispose();
  return out;
}
