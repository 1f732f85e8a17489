// Ctrl-C (SIGINT) and SIGTERM (kill, a job scheduler's time limit) stop training after the current
// batch with a checkpoint, so `halite train --resume` continues exactly there.
import type { Callback, TrainContext } from './callback.js';

export class StopOnSignal implements Callback {
  readonly name = 'stopOnSignal';
  private readonly handlers: [NodeJS.Signals, () => void][] = [];

  onTrainStart(ctx: TrainContext): void {
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      const h = () => ctx.stop('interrupted', s);
      process.on(s, h);
      this.handlers.push([s, h]);
    }
  }

  onTrainEnd(): void {
    for (const [s, h] of this.handlers.splice(0)) process.off(s, h);
  }
}
