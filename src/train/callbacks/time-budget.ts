// Stops training (then tunes, as a finished run) after the epoch that would otherwise overrun the
// budget, assuming the next epoch takes as long as the last; the clock is the checkpointed training
// time, so a resumed run counts what it already spent. After Lightning's Timer.
import type { EpochRecord } from '../../run/history.js';
import { budgetStopLine } from '../budget.js';
import type { Callback, TrainContext } from './callback.js';

export class TimeBudget implements Callback {
  readonly name = 'timeBudget';

  constructor(private readonly minutes: number) {}

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    if (ctx.finalEpoch() || (ctx.state.seconds + r.seconds) / 60 <= this.minutes) return;
    ctx.log(budgetStopLine({ used: ctx.state.seconds, minutes: this.minutes, epochSeconds: r.seconds, epochs: ctx.state.epoch }));
    ctx.stop('time');
  }
}
