// After a run that finished (or spent its time budget), reloads the best weights and tunes the
// post-processing on the validation tiles with flip TTA, for them and for the snapshot ensemble.
import { existsSync } from 'node:fs';
import { crossFitText } from '../../infer/tune.js';
import { loadWeights } from '../../io/weights.js';
import { runPath } from '../../run/layout.js';
import { tuneRun, tuneSnapshots } from '../tuning.js';
import type { BestCheckpoint } from './best-checkpoint.js';
import type { Callback, TrainContext, TrainOutcome } from './callback.js';

export class TuneAfterFit implements Callback {
  readonly name = 'tuneAfterFit';

  /** `best` is the run's BestCheckpoint, whose score the tuned one is compared with. */
  constructor(private readonly best: BestCheckpoint) {}

  onTrainEnd(ctx: TrainContext, o: TrainOutcome): void {
    const weights = runPath(ctx.run, 'best');
    if (o.error || (o.stopped !== 'finished' && o.stopped !== 'time') || !existsSync(weights)) return;
    loadWeights(weights, ctx.model);
    const t = tuneRun(ctx.run, ctx.model, ctx.val, ctx.config, ctx.valPredictions);
    o.threshold = t.threshold;
    o.thresholdScore = t.score;
    ctx.log(`threshold ${t.threshold.toFixed(3)}: validation mAP ${t.thresholdScore.toFixed(4)} with flip TTA (best epoch ${this.best.bestEpoch}, ${this.best.best.toFixed(4)} at 0.5 without TTA)` +
      (t.crossFitScore !== undefined ? `; ${crossFitText(t)}` : ''));
    if (t.score > t.thresholdScore) ctx.log(`post-processing: minimum area ${t.minArea}${t.gate !== null ? `, salt gate ${t.gate}` : ''}: validation mAP ${t.score.toFixed(4)}`);
    const s = tuneSnapshots(ctx.run, ctx.val, ctx.config);
    if (s) ctx.log(`snapshot ensemble (${s.models} models, predict --snapshots): threshold ${s.tuned.threshold.toFixed(3)}, minimum area ${s.tuned.minArea}: validation mAP ${s.tuned.score.toFixed(4)} with flip TTA`);
  }
}
