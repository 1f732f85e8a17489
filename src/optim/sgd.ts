// SGD with momentum, dampening, Nesterov and L2 weight decay: torch.optim.SGD's rule.
import type { Tensor } from '../torch/tensor.js';
import { Optimizer, type GroupOptions, type ParamState, type ParamsArg } from './optimizer.js';

export interface SGDOptions extends GroupOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, o: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...o });
    for (const g of this.groups) {
      if (g.options.nesterov && (g.options.momentum <= 0 || g.options.dampening !== 0)) {
        throw new Error('Nesterov momentum needs momentum > 0 and zero dampening');
      }
    }
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, o: SGDOptions): void {
    let d = o.weightDecay !== 0 ? grad.add(p, o.weightDecay) : grad;
    if (o.momentum !== 0) {
      const first = !st.tensors.has('momentum_buffer');
      const b = this.buf(st, 'momentum_buffer', p);
      if (first) b.copy_(d);
      else b.mul_(o.momentum).add_(d, 1 - o.dampening);
      d = o.nesterov ? d.add(b, o.momentum) : b;
    }
    p.add_(d, -o.lr);
  }
}
