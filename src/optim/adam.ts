// Adam and AdamW with torch.optim's bias-corrected rule (1.13 single-tensor form, same op order).
import type { Tensor } from '../torch/tensor.js';
import { Optimizer, type GroupOptions, type ParamState, type ParamsArg } from './optimizer.js';

export interface AdamOptions extends GroupOptions {
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  /** AdamW decays the weights directly; Adam adds weight decay to the gradient (L2). */
  protected abstract readonly decoupled: boolean;

  protected update(p: Tensor, grad: Tensor, st: ParamState, o: AdamOptions): void {
    let g = grad;
    if (o.weightDecay !== 0) {
      if (this.decoupled) p.mul_(1 - o.lr * o.weightDecay);
      else g = grad.add(p, o.weightDecay);
    }
    const m = this.buf(st, 'exp_avg', p);
    const v = this.buf(st, 'exp_avg_sq', p);
    m.mul_(o.beta1).add_(g, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
    const bc1 = 1 - o.beta1 ** st.step;
    const bc2Sqrt = Math.sqrt(1 - o.beta2 ** st.step);
    let second = v;
    if (o.amsgrad) {
      second = this.buf(st, 'max_exp_avg_sq', p);
      second.maximum_(v);
    }
    const denom = second.sqrt().div_(bc2Sqrt).add_(o.eps);
    p.addcdiv_(m, denom, -o.lr / bc1);
  }
}

const adamDefaults = (o: Partial<AdamOptions>, wd: number): AdamOptions => ({
  lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false, weightDecay: wd, ...o,
});

export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsArg<AdamOptions>, o: Partial<AdamOptions> = {}) { super(params, adamDefaults(o, 0)); }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); PyTorch's default decay is 0.01. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsArg<AdamOptions>, o: Partial<AdamOptions> = {}) { super(params, adamDefaults(o, 0.01)); }
}
