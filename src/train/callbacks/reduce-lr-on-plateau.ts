// Halves (by `factor`) the learning rate when validation mAP stops improving, in phases without a
// cosine schedule; as torch.optim.lr_scheduler.ReduceLROnPlateau in 'max' mode. Each phase starts afresh.
import type { EpochRecord } from '../../run/history.js';
import { ReduceLROnPlateau as Scheduler } from '../../optim/schedule.js';
import type { Callback, TrainContext } from './callback.js';

type SchedulerState = ReturnType<Scheduler['stateDict']>;

export class ReduceLROnPlateau implements Callback {
  readonly name = 'reduceLROnPlateau';
  private scheduler: Scheduler | null = null;
  /** The 1-based phase the scheduler belongs to. */
  private phase = 0;
  private restored: { phase: number; state: SchedulerState } | null = null;

  constructor(private readonly o: { factor: number; patience: number; minLr: number }) {}

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    // Patience counts validated epochs only (see config `validation`).
    if (ctx.config.phases[r.phase - 1]!.schedule || r.val_map === null) return;
    if (this.phase !== r.phase) {
      this.scheduler = new Scheduler(ctx.optimizer, { mode: 'max', ...this.o });
      this.phase = r.phase;
      if (this.restored?.phase === r.phase) this.scheduler.loadStateDict(this.restored.state);
      this.restored = null;
    }
    this.scheduler!.step(r.val_map);
  }

  stateDict(): { phase: number; state: SchedulerState } | null {
    return this.scheduler && { phase: this.phase, state: this.scheduler.stateDict() };
  }
  loadStateDict(s: unknown): void {
    this.restored = s as { phase: number; state: SchedulerState } | null;
  }
}
