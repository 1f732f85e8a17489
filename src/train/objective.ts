// The training objective: the phase's segmentation loss on the mask, plus, for models with more
// heads, BCE on the salt classifier (target: does the tile hold any salt) and the segmentation loss
// on each deep-supervision output, with the run's weights.
import { bce, type Loss } from '../losses/losses.js';
import { isMultiHead } from '../models/heads.js';
import type { Module } from '../nn/module.js';
import type { HeadWeights } from '../run/config.js';
import { autocast, tidy, type Precision, type Tensor } from '../torch/index.js';

/** Mixed precision: the forward runs under autocast, and every loss is taken in fp32 on its outputs
 * (`.float()` of an fp32 tensor is the tensor itself). */
export interface Amp { precision: Precision; device: string }

export function objective(model: Module, seg: Loss, x: Tensor, y: Tensor, w: HeadWeights, amp: Amp = { precision: 'fp32', device: 'cpu' }): Tensor {
  const fwd = <T>(f: () => T) => autocast(amp.device, amp.precision, f);
  if (!isMultiHead(model)) return tidy(() => seg(fwd(() => model.call(x)).float(), y));
  return tidy(() => {
    const o = fwd(() => model.forwardHeads(x));
    let l = seg(o.mask.float(), y);
    if (o.salt) {
      const hasSalt = y.amax([1, 2, 3]).view(-1, 1).float();
      l = l.add(bce(o.salt.float(), hasSalt).mul(w.classifier));
    }
    if (o.aux.length && w.deepSupervision > 0) {
      l = l.add(o.aux.map((a) => seg(a.float(), y)).reduce((a, b) => a.add(b)).mul(w.deepSupervision / o.aux.length));
    }
    return l;
  });
}
