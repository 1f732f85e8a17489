// Ends a phase after `patience` epochs without a new best validation mAP, as Keras' EarlyStopping;
// the next phase (if any) still runs. Needs BestCheckpoint before it, which marks best epochs.
import type { EpochRecord } from '../../run/history.js';
import type { Callback, TrainContext } from './callback.js';

export class EarlyStopping implements Callback {
  readonly name = 'earlyStopping';
  /** Epochs since the last best, in the current 1-based phase. */
  badEpochs = 0;
  private phase = 0;

  constructor(private readonly patience: number) {}

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    if (r.val_map === null) return; // patience counts validated epochs only
    if (r.phase !== this.phase) {
      this.phase = r.phase;
      this.badEpochs = 0;
    }
    this.badEpochs = r.best ? 0 : this.badEpochs + 1;
    if (this.badEpochs > this.patience) {
      ctx.log(`early stopping phase ${r.phase}: no improvement for ${this.patience} epochs`);
      ctx.endPhase();
    }
  }

  stateDict(): { phase: number; badEpochs: number } {
    return { phase: this.phase, badEpochs: this.badEpochs };
  }
  loadStateDict(s: unknown): void {
    ({ phase: this.phase, badEpochs: this.badEpochs } = s as { phase: number; badEpochs: number });
  }
}
