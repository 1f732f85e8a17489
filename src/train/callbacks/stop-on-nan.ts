// Stops training when the loss becomes NaN or infinite (the loop has skipped that step), as Keras'
// TerminateOnNaN, with an error that says where the last good checkpoint is and what to change.
import { hasCheckpoint } from '../../run/checkpoint.js';
import { runPath } from '../../run/layout.js';
import { lossName } from '../../losses/losses.js';
import { TrainingError, type Callback, type TrainContext } from './callback.js';

export class StopOnNaN implements Callback {
  readonly name = 'stopOnNaN';

  /** Throws TrainingError naming the loss, epoch and batch when `loss` is not finite. */
  onBatchEnd(ctx: TrainContext, batch: number, loss: number): void {
    if (Number.isFinite(loss)) return;
    const phase = ctx.config.phases[ctx.state.phase]!;
    throw new TrainingError(`the ${lossName(phase.loss)} loss became ${loss} at epoch ${ctx.state.epoch + 1}, batch ${batch}; training stopped. ` +
      `${hasCheckpoint(ctx.run) ? `The last good checkpoint is ${runPath(ctx.run, 'checkpoint')}` : 'No checkpoint was written yet'}; lower the learning rate (now ${ctx.optimizer.lr}).`);
  }
}
