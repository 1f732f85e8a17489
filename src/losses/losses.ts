// Segmentation losses on logits: BCE, Dice, BCE+Dice, focal, Lovász hinge, and weighted sums,
// each built from a config so training phases can name them.
import { F, Tensor, tidy } from '../torch/index.js';
import { lovaszHinge, type LovaszOptions } from './lovasz.js';

export type Loss = (logits: Tensor, masks: Tensor) => Tensor;

export function bce(logits: Tensor, masks: Tensor): Tensor {
  return F.bceWithLogits(logits, masks.to(logits.dtype as 'float32'));
}

/** 1 - (2|P∩Y| + s) / (|P| + |Y| + s) on sigmoid probabilities, per image (mean) or over the batch. */
export function dice(logits: Tensor, masks: Tensor, o: { perImage?: boolean; smooth?: number } = {}): Tensor {
  return tidy(() => {
    const s = o.smooth ?? 1;
    const rows = o.perImage === false ? 1 : logits.size(0);
    const p = logits.sigmoid().reshape(rows, -1);
    const y = masks.to(logits.dtype as 'float32').reshape(rows, -1);
    const inter = p.mul(y).sum(1);
    const score = inter.mul(2).add(s).div(p.sum(1).add(y.sum(1)).add(s));
    return score.rsub(1).mean();
  });
}

/** Focal loss (Lin et al.): alpha_t (1 - p_t)^gamma · BCE, averaged over pixels. */
export function focal(logits: Tensor, masks: Tensor, o: { gamma?: number; alpha?: number } = {}): Tensor {
  return tidy(() => {
    const gamma = o.gamma ?? 2, alpha = o.alpha ?? 0.25;
    const y = masks.to(logits.dtype as 'float32');
    const ce = F.bceWithLogits(logits, y, { reduction: 'none' });
    const pt = ce.neg().exp();
    const at = y.mul(alpha).add(y.rsub(1).mul(1 - alpha));
    return at.mul(pt.rsub(1).pow(gamma)).mul(ce).mean();
  });
}

export type LossSpec =
  | { name: 'bce' }
  | { name: 'dice'; perImage?: boolean; smooth?: number }
  | { name: 'focal'; gamma?: number; alpha?: number }
  | ({ name: 'lovasz' } & LovaszOptions)
  | { name: 'bce_dice'; bceWeight?: number; diceWeight?: number }
  | { name: 'sum'; terms: { weight: number; loss: LossSpec }[] };

/** Builds a loss from its config; names unknown losses. */
/** A loss spec's name ('bce', 'lovasz', ...), for logs and history records. */
export function lossName(spec: LossSpec | string): string {
  return typeof spec === 'string' ? spec : spec.name;
}

export function makeLoss(spec: LossSpec | string): Loss {
  const s = (typeof spec === 'string' ? { name: spec } : spec) as LossSpec;
  switch (s.name) {
    case 'bce': return bce;
    case 'dice': return (x, y) => dice(x, y, s);
    case 'focal': return (x, y) => focal(x, y, s);
    case 'lovasz': return (x, y) => lovaszHinge(x, y, s);
    case 'bce_dice': return weighted([{ weight: s.bceWeight ?? 1, loss: bce }, { weight: s.diceWeight ?? 1, loss: (x, y) => dice(x, y) }]);
    case 'sum': return weighted(s.terms.map((t) => ({ weight: t.weight, loss: makeLoss(t.loss) })));
    default: throw new Error(`unknown loss '${(s as { name: string }).name}' (expected bce, dice, bce_dice, focal, lovasz or sum)`);
  }
}

/** Σ weight · loss. */
export function weighted(terms: { weight: number; loss: Loss }[]): Loss {
  if (terms.length === 0) throw new Error('a weighted loss needs at least one term');
  return (x, y) => tidy(() => terms.map((t) => t.loss(x, y).mul(t.weight)).reduce((a, b) => a.add(b)));
}
