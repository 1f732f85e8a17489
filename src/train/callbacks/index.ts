// The training callbacks, and the set every run gets from its config.
import type { TrainConfig } from '../../run/config.js';
import { BestCheckpoint } from './best-checkpoint.js';
import { BudgetShape } from './budget-shape.js';
import type { Callback } from './callback.js';
import { EarlyStopping } from './early-stopping.js';
import { EmaWeights } from './ema-weights.js';
import { HistoryLog } from './history-log.js';
import { ProgressReporter } from './progress-reporter.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { Snapshots } from './snapshots.js';
import { StatusFile } from './status-file.js';
import { StopOnNaN } from './stop-on-nan.js';
import { StopOnSignal } from './stop-on-signal.js';
import { TimeBudget } from './time-budget.js';
import { TuneAfterFit } from './tune-after-fit.js';

export * from './callback.js';
export { BestCheckpoint, BudgetShape, EarlyStopping, EmaWeights, HistoryLog, ProgressReporter, ReduceLROnPlateau, Snapshots, StatusFile, StopOnNaN, StopOnSignal, TimeBudget, TuneAfterFit };
export { LambdaCallback, type LambdaHooks } from './lambda.js';

/**
 * The callbacks a config asks for, in the order they run, with the user's `extra` ones after the
 * built-in epoch-end bookkeeping and before tuning and the final status: BestCheckpoint marks the
 * record that HistoryLog writes and EarlyStopping reads; TuneAfterFit runs before StatusFile says
 * 'finished'. Returns the list, the BestCheckpoint (the run's best score), the BudgetShape (null unless
 * `budget: "shape"`) and the EmaWeights (null without `ema`), whose average the loop swaps in to validate.
 * `writer` false (a data-parallel rank other than 0) leaves out what writes the run directory
 * (progress, history, snapshots, tuning, status; BestCheckpoint keeps its score but saves nothing)
 * and keeps what decides the loop's course, which every rank follows alike.
 * With `budget: "shape"`, BudgetShape comes first (it sets each step's learning rate, which every
 * later callback sees, and tells Snapshots where the cycles end) and replaces TimeBudget.
 */
export function defaultCallbacks(c: TrainConfig, extra: Callback[] = [], o: { writer?: boolean } = {}): { callbacks: Callback[]; best: BestCheckpoint; shape: BudgetShape | null; ema: EmaWeights | null } {
  const writer = o.writer ?? true;
  const best = new BestCheckpoint(writer);
  const shape = c.budget === 'shape' && c.maxMinutes !== undefined ? new BudgetShape(c.maxMinutes, c.phases) : null;
  // Every rank keeps the average: each validates its shard with it.
  const ema = c.ema ? new EmaWeights(c.ema.decay) : null;
  const callbacks: Callback[] = [
    ...(shape ? [shape] : []), ...(ema ? [ema] : []),
    new StopOnNaN(), new StopOnSignal(), ...(writer ? [new ProgressReporter()] : []), best,
    ...(writer ? [new HistoryLog(), new Snapshots(shape)] : []),
    ...extra,
    ...(c.reduceLROnPlateau ? [new ReduceLROnPlateau(c.reduceLROnPlateau)] : []),
    ...(c.earlyStopping ? [new EarlyStopping(c.earlyStopping.patience)] : []),
    ...(c.maxMinutes !== undefined && !shape ? [new TimeBudget(c.maxMinutes)] : []),
    ...(writer ? [new TuneAfterFit(best), new StatusFile()] : []),
  ];
  const names = new Set<string>();
  for (const cb of callbacks) {
    if (names.has(cb.name)) throw new Error(`two training callbacks are named '${cb.name}'; a callback's name keys its state in the checkpoint, so give yours another`);
    names.add(cb.name);
  }
  return { callbacks, best, shape, ema };
}
