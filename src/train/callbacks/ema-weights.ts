// `ema: {decay}`: keeps an exponential moving average of the weights (../ema.ts), updated after every
// optimizer step. The loop validates with it (so the best checkpoint, snapshots and the tuned
// threshold are the averaged weights) and trains on the raw ones; the checkpoint holds both, so a
// resumed run continues the same average.
import { hasCheckpoint, loadCheckpointExtra } from '../../run/checkpoint.js';
import { runPath } from '../../run/layout.js';
import { dispose, type Tensor } from '../../torch/index.js';
import { ModelEma } from '../ema.js';
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

  onTrainEnd(): void {
    this.ema?.dispose();
    this.ema = null;
  }

  stateDict(): { decay: number; steps: number } { return { decay: this.decay, steps: this.ema?.steps ?? 0 }; }
  // Checkpoints from before the bias correction have no count: their averages are long past it.
  loadStateDict(state: { steps?: number }): void { this.resumed = state.steps ?? Number.MAX_SAFE_INTEGER; }
  tensorState(): ReadonlyMap<string, Tensor> { return this.ema?.shadow ?? new Map(); }
}
