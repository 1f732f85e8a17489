// Appends each epoch's record to history.jsonl and prints it as one line.
import { appendHistory, type EpochRecord } from '../../run/history.js';
import type { Callback, TrainContext } from './callback.js';

export class HistoryLog implements Callback {
  readonly name = 'historyLog';

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    appendHistory(ctx.run, r);
    ctx.log(`epoch ${r.epoch}/${ctx.totalEpochs} [${r.loss}] train loss ${r.train_loss.toFixed(4)}  val loss ${r.val_loss.toFixed(4)}  ` +
      `val mAP ${r.val_map.toFixed(4)}${r.best ? ' *' : ''}  lr ${r.lr.toExponential(2)}  ${r.seconds.toFixed(1)} s`);
  }
}
