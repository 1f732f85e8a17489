// Keeps the run's status file current, so watchers (halite serve, report) tell a live run (by its
// pid) from a finished, stopped or failed one.
import { writeStatus } from '../../run/status.js';
import type { Callback, TrainContext, TrainOutcome } from './callback.js';

export class StatusFile implements Callback {
  readonly name = 'statusFile';

  onTrainStart(ctx: TrainContext): void {
    writeStatus(ctx.run, { state: 'running', pid: process.pid });
  }

  onTrainEnd(ctx: TrainContext, o: TrainOutcome): void {
    writeStatus(ctx.run, o.error ? { state: 'failed', message: o.error.message } : { state: o.stopped });
  }
}
