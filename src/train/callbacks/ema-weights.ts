// `ema: {decay}`: keeps an exponential moving average of the weights (../ema.ts), updated after every
// optimizer step. The loop validates with it (so the best checkpoint, snapshots and the tuned
// threshold are the averaged weights) and trains on the raw ones; the checkpoint holds both, so a
// resumed run continues the same average.
import { hasCheckpoint, loadCheckpointExtra } from '../../run/checkpoint.js';
import { runPath } from '../../run/layout.js';
import { dispose, type Tensor } from '../../torch/index.js';
import { ModelEma } from '../ema.js';
import type { EpochRecord } from '../../run/history.js';
import type { Callback, TrainContext } from './callback.js';

export class EmaWeights implements Callback {
  readonly name = 'ema';
  ema: ModelEma | null = null;
  /** The checkpoint's step count, until onTrainStart hands it to the average; null for a new run. */
  private resumed: number | null = null;

  constructor(private readonly decay: number) {}

  onTrainStart(ctx: TrainContext): void {
    this.ema = new ModelEma(ctx.model, this.decay);
    if (this.resumed === null || !hasCheckpoint(ctx.run)) return;
    this.ema.steps = this.resumed;
    const saved = loadCheckpointExtra(ctx.run, `${this.name}.`);
    try {
      this.ema.load(saved, runPath(ctx.run, 'checkpoint'));
    } finally {
      dispose([...saved.values()]);
    }
  }

  onBatchEnd(ctx: TrainContext, _batch: number, loss: number): void {
    if (Number.isFinite(loss)) this.ema!.update(ctx.model); // a non-finite loss took no step
  }

  /**
   * After a new run's first epoch, warns when its time budget fits fewer than six horizons
   * (1 / (1 − decay) steps) of the average: on a 2-core AVX2 EPYC, a 60-minute run's average (decay
   * 0.998: 500 steps, a fifth of its 15 epochs) scored 0.606 against its raw weights' 0.737, as it still learned.
   */
  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    const minutes = ctx.config.maxMinutes;
    if (this.resumed !== null || ctx.state.epoch !== 1 || minutes === undefined || r.seconds <= 0) return;
    const horizon = Math.round(1 / (1 - this.decay));
    const steps = Math.max(1, Math.floor((minutes * 60) / r.seconds)) * ctx.batchesPerEpoch;
    if (steps >= 6 * horizon) return;
    ctx.log(`warning: the EMA of the weights (decay ${this.decay}) averages over about ${horizon} steps, and this ${minutes}-minute budget fits about ${steps}; ` +
      `an average over so few lags a model still learning, and validation, the best checkpoint and tuning use it. To validate the raw weights, put "ema": null in a --config file`);
  }

  onTrainEnd(): void {
    this.ema?.dispose();
    this.ema = null;
  }

  stateDict(): { decay: number; steps: number } { return { decay: this.decay, steps: this.ema?.steps ?? 0 }; }
  // Checkpoints from before the bias correction have no count: their averages are long past it.
  loadStateDict(state: { steps?: number }): void { this.resumed = state.steps ?? Number.MAX_SAFE_INTEGER; }
  tensorState(): ReadonlyMap<string, Tensor> { return this.ema?.shadow ?? new Map(); }
}
