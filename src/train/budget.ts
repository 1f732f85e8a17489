// Budget-shaped training (config `budget: "shape"` with `maxMinutes`): the phases and their cosine
// cycles are laid out on the time budget rather than on epoch counts, so a slower machine still
// finishes every phase annealed, with fewer epochs, instead of being cut off at a high learning rate.
//
// Each phase's share of the budget is its share of the configured epochs, split equally among its
// cosine cycles (segments). Before each epoch the number of epochs that still fit in the current
// segment is re-planned from the checkpointed clock (training and validation seconds of the epochs
// done) and the mean epoch time so far; the epoch then moves the segment's position v in [0, 1] by
// (1 − v) / planned, so the segment's last planned epoch ends exactly at v = 1 (its minLr). At the
// configured speed this is the epoch schedule itself (see planEpochs).
import type { PhaseConfig } from '../run/config.js';

/** One cosine cycle of a phase (a phase without cycles is one segment), placed on the budget. */
export interface Segment {
  /** 0-based phase index and cycle within it. */
  phase: number;
  cycle: number;
  /** Fraction of the budget at which the segment ends (its phase's share × (cycle + 1) / cycles, cumulative). */
  end: number;
  /** The run's last segment: its plan must not overrun the budget. */
  last: boolean;
}

/**
 * The segments of `phases` in order: phase i ends at Σ_{j≤i} epochs_j / Σ epochs of the budget, and
 * its `schedule.cycles` cycles (1 without) divide its share equally.
 */
export function budgetSegments(phases: readonly PhaseConfig[]): Segment[] {
  const total = phases.reduce((a, p) => a + p.epochs, 0);
  const out: Segment[] = [];
  let before = 0;
  phases.forEach((p, i) => {
    const cycles = p.schedule?.cycles ?? 1;
    for (let k = 0; k < cycles; k++) out.push({ phase: i, cycle: k, end: (before + (p.epochs * (k + 1)) / cycles) / total, last: false });
    before += p.epochs;
  });
  out[out.length - 1]!.last = true;
  out[out.length - 1]!.end = 1; // exactly, whatever the float sums gave
  return out;
}

/**
 * Epochs (≥ 1, the one about to start included) planned for the rest of a segment: `left` seconds
 * until its end over `epochSeconds` per epoch, rounded to the nearest for an inner segment (its
 * boundary moves by at most half an epoch) and down for the run's last one, which must not overrun
 * the budget. The caller stops the run before an epoch that would overrun it (see BudgetShape).
 */
export function planEpochs(left: number, epochSeconds: number, last: boolean): number {
  const n = left / epochSeconds;
  return Math.max(1, last ? Math.floor(n + 1e-9) : Math.round(n));
}

/**
 * Seconds an epoch is expected to take: the mean of the run's completed epochs (training and
 * validation, from the checkpointed clock), or before the first one the budget's share of one
 * configured epoch. `budgetSeconds` > 0, `configuredEpochs` ≥ 1.
 */
export function epochEstimate(seconds: number, epochs: number, budgetSeconds: number, configuredEpochs: number): number {
  return epochs > 0 && seconds > 0 ? seconds / epochs : budgetSeconds / configuredEpochs;
}

/** SGDR's cosine at position v in [0, 1] of a cycle: minLr + (base − minLr)(1 + cos πv)/2 (Loshchilov & Hutter 2017, eq. 5). */
export function cosineAt(base: number, minLr: number, v: number): number {
  return minLr + ((base - minLr) * (1 + Math.cos(Math.PI * v))) / 2;
}

/**
 * Minutes of budget that give each of `phases` phases at least one epoch of `epochSeconds` s, with an
 * eighth more for validation and a slow epoch, rounded up: what a too-short budget is told to give.
 */
export function minutesForPhases(phases: number, epochSeconds: number): number {
  return Math.ceil((phases * epochSeconds * 1.125) / 60);
}

/**
 * The line a run stopped by its time budget logs. `used` and `epochSeconds` (the next epoch's
 * expected cost) in s, `minutes` the budget, `epochs` those done; `skipped` names the phases that
 * never ran (as `2 (lovasz)`) out of `phases`. It says when the budget was shorter than the epochs it
 * let in, and which phases a longer budget would have trained.
 */
export function budgetStopLine(o: { used: number; minutes: number; epochSeconds: number; epochs: number; skipped?: string[]; phases?: number }): string {
  const over = o.used - o.minutes * 60;
  let line = `time budget: ${(o.used / 60).toFixed(1)} of ${o.minutes} minutes used; another epoch (about ${Math.round(o.epochSeconds)} s) would overrun it`;
  if (over > 1) line += o.epochs === 1 ? `; the budget is shorter than one epoch here, which ran ${Math.round(over)} s past it` : `; the last epoch ran ${Math.round(over)} s past it`;
  const skipped = o.skipped ?? [];
  if (skipped.length > 0) {
    line += `. Phase${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')} never ran: give --max-minutes ${minutesForPhases(o.phases ?? skipped.length, o.epochSeconds)} or more for an epoch of every phase`;
  }
  return line;
}
