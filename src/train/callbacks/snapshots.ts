// Saves weights for the snapshot ensemble (predict --snapshots): at the end of every warm-restart
// cycle (Huang et al. 2017, "Snapshot Ensembles") and for the phase's last `snapshots` epochs.
import { join } from 'node:path';
import { saveWeights } from '../../io/weights.js';
import { snapshotName } from '../../run/layout.js';
import type { EpochRecord } from '../../run/history.js';
import type { Callback, TrainContext } from './callback.js';

export class Snapshots implements Callback {
  readonly name = 'snapshots';

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    const phase = ctx.config.phases[r.phase - 1]!;
    const done = ctx.state.epochInPhase;
    const cycles = phase.schedule?.cycles ?? 1;
    const cycleEnd = cycles > 1 && done % (phase.epochs / cycles) === 0;
    if (!cycleEnd && done <= phase.epochs - (phase.snapshots ?? 0)) return;
    const c = ctx.config;
    saveWeights(join(ctx.run, snapshotName(r.epoch)), ctx.model, { model: c.model, options: c.modelOptions, extra: { epoch: String(r.epoch), val_map: String(r.val_map) } });
  }
}
