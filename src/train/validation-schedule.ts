// Validation on a schedule (config `validation: {every, everyEpochInLast}`): on a CPU, validating every
// epoch of a short budget costs epochs; early scores matter little, late ones pick the best weights.
import type { TrainConfig } from '../run/config.js';

/** Where the epoch under way stands, as the loop knows it before validating. */
export interface EpochPosition {
  /** The epoch's 1-based number in the run. */
  epoch: number;
  /** Does it end its phase (as configured, or as BudgetShape plans)? A phase's last, annealed weights are always scored. */
  endsPhase: boolean;
  /** Fraction of the run done at the epoch's end: of maxMinutes when set, else of the configured epochs. */
  progress: number;
  /** Would the time budget likely stop the run after this epoch (so it may be the run's last)? */
  lastInBudget: boolean;
}

/**
 * Whether to validate the epoch: always without a schedule; otherwise every `every`-th epoch of the
 * run, every epoch once `progress` is in the last `everyEpochInLast` of the run, at each phase's end,
 * and when the budget may end the run after it. Best checkpoint, early stopping and plateau act on
 * validated epochs only.
 */
export function validatesEpoch(v: TrainConfig['validation'], p: EpochPosition): boolean {
  if (!v) return true;
  const every = v.every ?? 1;
  return every <= 1 || p.epoch % every === 0 || p.endsPhase || p.lastInBudget || p.progress > 1 - (v.everyEpochInLast ?? 0) + 1e-9;
}
