// The simple hooks of the library API (train(config, {onEpoch, onBatch, stopAfterEpochs})) as a
// callback, as Keras' LambdaCallback.
import type { EpochRecord } from '../../run/history.js';
import type { Callback, TrainContext } from './callback.js';

export interface LambdaHooks {
  /** Stop (with a checkpoint) once this many epochs of the run are complete, as if interrupted. */
  stopAfterEpochs?: number;
  /** Called after each epoch's record is written. */
  onEpoch?: (r: EpochRecord) => void;
  /** Called after each training batch (epoch and batch counted from 1). */
  onBatch?: (epoch: number, batch: number, loss: number) => void;
}

export class LambdaCallback implements Callback {
  readonly name = 'lambda';
  constructor(private readonly h: LambdaHooks) {}

  onBatchEnd(ctx: TrainContext, batch: number, loss: number): void {
    this.h.onBatch?.(ctx.state.epoch + 1, batch, loss);
  }

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    this.h.onEpoch?.(r);
    if (this.h.stopAfterEpochs !== undefined && ctx.state.epoch >= this.h.stopAfterEpochs) ctx.stop('limit');
  }
}
