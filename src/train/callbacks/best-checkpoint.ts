// Keeps the weights of the epoch with the best validation mAP (best.safetensors), as Keras'
// ModelCheckpoint(save_best_only=True) does, and marks that epoch's record.
import { saveWeights } from '../../io/weights.js';
import { runPath } from '../../run/layout.js';
import type { Callback, TrainContext } from './callback.js';
import type { EpochRecord } from '../../run/history.js';

export class BestCheckpoint implements Callback {
  readonly name = 'bestCheckpoint';
  /** The best validation mAP so far (-Infinity before the first epoch) and its 1-based epoch (-1). */
  best = -Infinity;
  bestEpoch = -1;

  /** `save` false keeps the score without writing best.safetensors (a data-parallel rank other than 0). */
  constructor(private readonly save = true) {}

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    // An epoch the validation schedule skipped has no score to compare.
    r.best = r.val_map !== null && r.val_map > this.best;
    if (!r.best) return;
    this.best = r.val_map!;
    this.bestEpoch = r.epoch;
    if (!this.save) return;
    const c = ctx.config;
    saveWeights(runPath(ctx.run, 'best'), ctx.model, { model: c.model, options: c.modelOptions, extra: { epoch: String(r.epoch), val_map: String(r.val_map) } });
  }

  stateDict(): { best: number; bestEpoch: number } {
    return { best: this.best, bestEpoch: this.bestEpoch };
  }
  loadStateDict(s: unknown): void {
    const { best, bestEpoch } = s as { best: number | null; bestEpoch: number };
    // JSON writes -Infinity as null.
    this.best = best ?? -Infinity;
    this.bestEpoch = bestEpoch;
  }
}
