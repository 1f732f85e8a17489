// Saves weights for the snapshot ensemble (predict --snapshots): at the end of every warm-restart
// cycle (Huang et al. 2017, "Snapshot Ensembles") and for the phase's last `snapshots` epochs: counted
// in epochs, or, in a budget-shaped run, as BudgetShape plans them.
import { join } from 'node:path';
import { saveWeights } from '../../io/weights.js';
import { snapshotName } from '../../run/layout.js';
import type { EpochRecord } from '../../run/history.js';
import type { BudgetShape } from './budget-shape.js';
import type { Callback, TrainContext } from './callback.js';

export class Snapshots implements Callback {
  readonly name = 'snapshots';

  /** `shape`: the run's BudgetShape, whose plan says where cycles end and how many epochs a phase has left. */
  constructor(private readonly shape: BudgetShape | null = null) {}

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    const phase = ctx.config.phases[r.phase - 1]!;
    const done = ctx.state.epochInPhase;
    const cycles = phase.schedule?.cycles ?? 1;
    const cycleEnd = cycles > 1 && (this.shape ? this.shape.cycleEnded : done % (phase.epochs / cycles) === 0);
    const left = this.shape ? this.shape.epochsLeftInPhase : phase.epochs - done;
    if (!cycleEnd && left >= (phase.snapshots ?? 0)) return;
    const c = ctx.config;
    saveWeights(join(ctx.run, snapshotName(r.epoch)), ctx.model, { model: c.model, options: c.modelOptions, extra: { epoch: String(r.epoch), val_map: String(r.val_map) } });
  }
}
