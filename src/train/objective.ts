// The training objective: the phase's segmentation loss on the mask, plus, for models with more
// heads, BCE on the salt classifier (target: does the tile hold any salt) and the segmentation loss
// on each deep-supervision output, with the run's weights.
import { bce, type Loss } from '../losses/losses.js';
import { isMultiHead } from '../models/heads.js';
import type { Module } from '../nn/module.js';
import { tidy, type Tensor } from '../torch/index.js';

export interface HeadWeights {
  /** Weight of the classifier's BCE (the second write-up's 1:10 against the mask loss is 0.1). */
  classifier: number;
  /** Total weight of the auxiliary mask losses, shared equally among them. */
  deepSupervision: number;
}

export function objective(model: Module, seg: Loss, x: Tensor, y: Tensor, w: HeadWeights): Tensor {
  if (!isMultiHead(model)) return seg(model.forward(x), y);
  return tidy(() => {
    const o = model.forwardHeads(x);
    let l = seg(o.mask, y);
    if (o.salt) {
      const hasSalt = y.amax([1, 2, 3]).view(-1, 1).float();
      l = l.add(bce(o.salt, hasSalt).mul(w.classifier));
    }
    if (o.aux.length && w.deepSupervision > 0) {
      l = l.add(o.aux.map((a) => seg(a, y)).reduce((a, b) => a.add(b)).mul(w.deepSupervision / o.aux.length));
    }
    return l;
  });
}
