// An exponential moving average of a model's weights (Polyak averaging; timm's ModelEmaV2): after
// every optimizer step, ema = decay · ema + (1 − decay) · weights, for parameters and float buffers
// (BatchNorm's running statistics) alike; integer buffers (num_batches_tracked) are copied. Averaged
// weights smooth the epoch-to-epoch swings of a short run, for nothing but a copy of the weights.
// The average is bias-corrected as Adam's moments are (Kingma & Ba 2015, §3): after t steps it is
// Σ decay^(t−s) · w_s / Σ decay^(t−s) over the steps s = 1..t, so the initial random weights weigh
// nothing. Without it they kept decay^t of the average: a quarter after 3 epochs of a CPU run.
import type { Module } from '../nn/module.js';
import { isFloating } from '../torch/dtype.js';
import { keep, noGrad, type Tensor } from '../torch/index.js';

export class ModelEma {
  /** The averaged state, by the model's state-dict names (same shapes, dtypes and devices). */
  readonly shadow = new Map<string, Tensor>();
  /** Optimizer steps averaged so far (a checkpoint keeps it, for the bias correction). */
  steps = 0;

  /** Holds a copy of the model's weights, which the first update replaces. @throws RangeError unless 0 < decay < 1 */
  constructor(model: Module, readonly decay: number) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`EMA decay must be in (0, 1), got ${decay}`);
    noGrad(() => {
      for (const [k, t] of model.stateDict()) {
        const d = t.detach();
        this.shadow.set(k, keep(d.clone())); // lives until dispose(), whatever tidy() scope made it
        d.dispose();
      }
    });
  }

  /**
   * One step of the average, in place (ATen lerp_: ema + (1 − d)(w − ema)). Step t's bias-corrected
   * rate d = decay · (1 − decay^(t−1)) / (1 − decay^t) is 0 at the first step (a copy) and tends to decay.
   */
  update(model: Module): void {
    const n = ++this.steps, ln = Math.log(this.decay);
    const d = (this.decay * Math.expm1((n - 1) * ln)) / Math.expm1(n * ln);
    noGrad(() => {
      for (const [k, t] of model.stateDict()) {
        const s = this.shadow.get(k)!;
        if (isFloating(s.dtype)) s.lerp_(t, 1 - d);
        else s.copy_(t);
      }
    });
  }

  /** Exchanges the model's weights and the average (twice restores both): validate and save the average, train the raw weights. */
  swap(model: Module): void {
    noGrad(() => {
      for (const [k, t] of model.stateDict()) {
        const s = this.shadow.get(k)!;
        const raw = t.clone();
        t.copy_(s);
        s.copy_(raw);
        raw.dispose();
      }
    });
  }

  /** Sets the average from saved tensors (a checkpoint's). @throws Error naming a missing entry */
  load(saved: ReadonlyMap<string, Tensor>, where: string): void {
    noGrad(() => {
      for (const [k, s] of this.shadow) {
        const t = saved.get(k);
        if (!t) throw new Error(`${where}: no averaged weights for ${k}; the checkpoint was not written with this model's EMA`);
        s.copy_(t);
      }
    });
  }

  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
    this.shadow.clear();
  }
}
