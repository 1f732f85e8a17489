// RMSprop as torch.optim.RMSprop: eps outside the square root, optional centring and momentum.
import type { Tensor } from '../torch/tensor.js';
import { Optimizer, type GroupOptions, type ParamState, type ParamsArg } from './optimizer.js';

export interface RMSpropOptions extends GroupOptions {
  alpha: number;
  eps: number;
  momentum: number;
  centered: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, o: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0, ...o });
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, o: RMSpropOptions): void {
    const g = o.weightDecay !== 0 ? grad.add(p, o.weightDecay) : grad;
    const sq = this.buf(st, 'square_avg', p);
    sq.mul_(o.alpha).addcmul_(g, g, 1 - o.alpha);
    let avg: Tensor;
    if (o.centered) {
      const ga = this.buf(st, 'grad_avg', p);
      ga.mul_(o.alpha).add_(g, 1 - o.alpha);
      avg = sq.clone().addcmul_(ga, ga, -1).sqrt_().add_(o.eps);
    } else {
      avg = sq.sqrt().add_(o.eps);
    }
    if (o.momentum > 0) {
      const b = this.buf(st, 'momentum_buffer', p);
      b.mul_(o.momentum).addcdiv_(g, avg, 1);
      p.add_(b, -o.lr);
    } else {
      p.addcdiv_(g, avg, -o.lr);
    }
  }
}
