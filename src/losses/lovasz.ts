// Lovász hinge (Berman, Triki & Blaschko 2018): a convex surrogate of the Jaccard loss on logits.
// Errors are sorted, and the gradient of the Lovász extension of the Jaccard index weights them.
import { Tensor, cat, tidy } from '../torch/index.js';

export interface LovaszOptions {
  /** Average the loss over images (the default, as in the TGS kernels) or compute it over the batch. */
  perImage?: boolean;
  /** 'relu' is the paper's hinge; 'elu' uses elu(x) + 1, the smoother form of the Keras TGS kernels. */
  activation?: 'relu' | 'elu';
  /** Mean of the loss on (logits, y) and on (-logits, 1 - y). */
  symmetric?: boolean;
}

/** Rows of logits and 0/1 labels [R, P] -> per-row loss [R]. */
function hingeRows(logits: Tensor, labels: Tensor, activation: 'relu' | 'elu'): Tensor {
  const signs = labels.mul(2).sub(1);
  const errors = logits.mul(signs).rsub(1);
  const { values, indices } = errors.sort(1, true);
  const gt = labels.gather(1, indices);
  // Gradient of the Lovász extension: successive differences of the Jaccard loss along the order.
  const grad = tidy(() => {
    const gts = gt.sum(1, true);
    const intersection = gts.sub(gt.cumsum(1));
    const union = gts.add(gt.rsub(1).cumsum(1));
    const jaccard = intersection.div(union).rsub(1);
    const p = jaccard.size(1);
    if (p === 1) return jaccard;
    return cat([jaccard.slice(1, 0, 1), jaccard.slice(1, 1, p).sub(jaccard.slice(1, 0, p - 1))], 1);
  });
  const act = activation === 'relu' ? values.relu() : values.elu().add(1);
  return act.mul(grad.detach()).sum(1);
}

/** Lovász hinge of logits against 0/1 masks of the same shape (N, ...). */
export function lovaszHinge(logits: Tensor, masks: Tensor, o: LovaszOptions = {}): Tensor {
  return tidy(() => {
    const activation = o.activation ?? 'relu';
    const n = logits.size(0);
    const rows = o.perImage === false ? 1 : n;
    const x = logits.reshape(rows, -1);
    const y = masks.to(logits.dtype as 'float32').reshape(rows, -1);
    const loss = hingeRows(x, y, activation).mean();
    if (!o.symmetric) return loss;
    const flipped = hingeRows(x.neg(), y.rsub(1), activation).mean();
    return loss.add(flipped).div(2);
  });
}

