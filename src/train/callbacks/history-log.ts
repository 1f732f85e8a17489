// Appends each epoch's record to history.jsonl and prints it as one line. A resumed run first drops
// records of epochs after its checkpoint (appended before a kill), so every epoch appears once.
import { appendHistory, truncateHistory, type EpochRecord } from '../../run/history.js';
import type { Callback, TrainContext } from './callback.js';

export class HistoryLog implements Callback {
  readonly name = 'historyLog';

  onTrainStart(ctx: TrainContext): void {
    const dropped = truncateHistory(ctx.run, ctx.state.epoch);
    if (dropped) ctx.log(`history.jsonl: dropped ${dropped} record(s) of epochs after the checkpoint (epoch ${ctx.state.epoch}); they are trained again`);
  }

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    appendHistory(ctx.run, r);
    ctx.log(`epoch ${r.epoch}/${ctx.totalEpochs} [${r.loss}] train loss ${r.train_loss.toFixed(4)}  ${r.val_loss === null || r.val_map === null ? 'not validated' : `val loss ${r.val_loss.toFixed(4)}  val mAP ${r.val_map.toFixed(4)}`}` +
      `${r.best ? ' *' : ''}  lr ${r.lr.toExponential(2)}  ${r.seconds.toFixed(1)} s`);
  }
}
