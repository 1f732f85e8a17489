// `budget: "shape"`: lays the phases and their cosine cycles out on the time budget (see
// ../budget.ts), sets the learning rate of cosine phases before every step from the position in the
// current cycle, ends each phase when its last planned epoch is done, and stops the run before an
// epoch that would overrun `maxMinutes` (in place of TimeBudget). Its plan and position are saved in
// the checkpoint, so a resumed run continues the same curve.
import type { PhaseConfig } from '../../run/config.js';
import type { EpochRecord } from '../../run/history.js';
import { budgetSegments, budgetStopLine, cosineAt, epochEstimate, minutesForPhases, planEpochs, type Segment } from '../budget.js';
import { lossName } from '../../losses/losses.js';
import type { Callback, TrainContext } from './callback.js';
import { TILE } from '../../data/rle.js';

interface ShapeState {
  /** 0-based phase and cycle the position belongs to. */
  phase: number;
  cycle: number;
  /** Position in the cycle at the start of the current epoch, in [0, 1). */
  pos: number;
  /** Epochs planned for the rest of the cycle, the current one included, and the 0-based epoch that plan was made for. */
  planned: number;
  plannedFor: number;
  /** The plan assumed a pace not measured at this phase's tile size; it is revised once, early in the epoch. */
  guess?: boolean;
  /** Seconds and count of the completed epochs, per tile size trained on ("whole" or the crop side): phases on crops go faster. */
  paces?: Record<string, [number, number]>;
}

/** The pace key of a phase: whole tiles, or its crop side. */
const sizeKey = (p: PhaseConfig) => (p.crop === undefined ? 'whole' : String(p.crop));
/** An epoch's expected cost relative to one on whole tiles: the share of the tile's pixels it trains on. */
const pixelShare = (key: string) => (key === 'whole' ? 1 : (Number(key) / TILE) ** 2);
/** Does any phase train on crops? Without, every epoch costs the same and the run mean is the pace. */
const anyCrop = (ctx: TrainContext) => ctx.config.phases.some((p) => p.crop !== undefined);

export class BudgetShape implements Callback {
  readonly name = 'budgetShape';
  private readonly segments: Segment[];
  private s: ShapeState = { phase: 0, cycle: 0, pos: 0, planned: 1, plannedFor: -1 };
  /** Did the epoch that just ended close a cosine cycle (a snapshot point)? */
  cycleEnded = false;
  /** The batch the epoch (or its resumed part) started at in this process. */
  private startBatch = 0;
  /** Seconds the epoch's first batch (in this process) took. */
  private firstBatch = 0;
  /** Epochs the plan still expects in the phase after the epoch that just ended (0 when it ended the phase). */
  epochsLeftInPhase = 0;
  /** Seconds an epoch at a tile size, as an epoch's revision timed it before any epoch at that size ended. */
  private timedPace: { key: string; seconds: number } | null = null;

  /** `minutes`: the budget (maxMinutes); `phases`: the config's, whose epochs give each phase's share. */
  constructor(private readonly minutes: number, phases: readonly PhaseConfig[]) {
    this.segments = budgetSegments(phases);
  }

  private get budget(): number { return this.minutes * 60; }

  private segment(): Segment {
    return this.segments.find((g) => g.phase === this.s.phase && g.cycle === this.s.cycle)!;
  }

  /**
   * Seconds an epoch of `phase` is expected to take. Without crops: the run's mean (see epochEstimate).
   * With: the mean of the completed epochs at the phase's tile size; before any, the early timing of
   * the one under way, else the completed epochs' pace per whole-tile pixel times the phase's share of
   * pixels, else (nothing measured yet) the configured pace.
   */
  private estimate(ctx: TrainContext, phase = ctx.state.phase): number {
    const total = ctx.config.phases.reduce((a, p) => a + p.epochs, 0), st = ctx.state;
    // Phases all on whole tiles share one pace: the run's mean, which a resumed checkpoint also gives.
    if (!anyCrop(ctx)) {
      return st.epoch === 0 && this.timedPace !== null ? this.timedPace.seconds : epochEstimate(st.seconds, st.epoch, this.budget, total);
    }
    const key = sizeKey(ctx.config.phases[phase]!), paces = this.s.paces ?? {};
    const own = paces[key];
    if (own && own[1] > 0) return own[0] / own[1];
    if (this.timedPace?.key === key) return this.timedPace.seconds;
    const done = Object.entries(paces).filter(([, [, n]]) => n > 0);
    if (done.length > 0) {
      const seconds = done.reduce((a, [, [t]]) => a + t, 0), whole = done.reduce((a, [k, [, n]]) => a + n * pixelShare(k), 0);
      return (seconds / whole) * pixelShare(key);
    }
    return epochEstimate(st.seconds, st.epoch, this.budget, total);
  }

  /** Has an epoch at the current phase's tile size ended (so its pace is measured, not guessed)? */
  private measured(ctx: TrainContext): boolean {
    if (!anyCrop(ctx)) return ctx.state.epoch > 0;
    return (this.s.paces?.[sizeKey(ctx.config.phases[ctx.state.phase]!)]?.[1] ?? 0) > 0;
  }

  onEpochStart(ctx: TrainContext): void {
    const st = ctx.state;
    // A new phase (the loop moved on, or early stopping ended the last one) starts at its first cycle.
    if (this.s.phase !== st.phase) this.s = { phase: st.phase, cycle: 0, pos: 0, planned: 1, plannedFor: -1, ...(this.s.paces ? { paces: this.s.paces } : {}) };
    // A resume in the middle of an epoch keeps the plan that epoch started with.
    this.startBatch = st.batch;
    if (this.s.plannedFor !== st.epoch) {
      const g = this.segment();
      this.s.planned = planEpochs(g.end * this.budget - st.seconds, this.estimate(ctx), g.last);
      this.s.plannedFor = st.epoch;
      // The first epoch, and the first at a new tile size (a phase on crops), time their pace early.
      this.s.guess = !this.measured(ctx);
      const phase = ctx.config.phases[st.phase]!;
      const cycles = phase.schedule?.cycles ?? 1;
      ctx.log(`budget: ${(st.seconds / 60).toFixed(1)} of ${this.minutes} min used; phase ${st.phase + 1}${cycles > 1 ? ` cycle ${this.s.cycle + 1}/${cycles}` : ''} ` +
        `has ${this.s.planned} epoch${this.s.planned === 1 ? '' : 's'} planned to end at ${((g.end * this.budget) / 60).toFixed(1)} min`);
    }
    this.setLr(ctx, st.batch);
  }

  /**
   * Epochs the run is expected to have at its end: those done, the current cycle's planned ones (the epoch
   * under way included), and every later cycle and phase at the pace measured so far. What progress lines
   * show in place of the configured count, which a budget-shaped run does not follow.
   */
  expectedEpochs(ctx: TrainContext): number {
    const st = ctx.state;
    const current = this.s.plannedFor === st.epoch ? Math.max(1, Math.round(this.s.planned)) : 0;
    let n = st.epoch + current, t = st.seconds + current * this.estimate(ctx);
    for (const g of this.segments) {
      if (g.phase < this.s.phase || (g.phase === this.s.phase && g.cycle < this.s.cycle + (current > 0 ? 1 : 0))) continue;
      const pace = this.estimate(ctx, g.phase);
      const k = planEpochs(g.end * this.budget - t, pace, g.last);
      n += k;
      t += k * pace;
    }
    return n;
  }

  /**
   * Might the budget stop the run after the epoch under way, whose training took `elapsed` seconds?
   * True when the run's seconds so far, the next epoch at the pace of the tile size it trains on, and
   * an allowance of one more epoch (for this one's validation and a slow next epoch) pass `maxMinutes`.
   * The validation schedule scores such an epoch, since it may be the run's last.
   */
  mayStopAfter(ctx: TrainContext, elapsed: number): boolean {
    const st = ctx.state, here = this.estimate(ctx);
    const next = this.endsPhase() && st.phase + 1 < ctx.config.phases.length ? this.estimate(ctx, st.phase + 1) : here;
    return st.seconds + elapsed + Math.max(elapsed, here) + next > this.budget;
  }

  /** Is the epoch under way planned as its phase's last (the last planned epoch of its last cycle)? */
  endsPhase(): boolean {
    return this.s.planned <= 1 + 1e-9 && !this.segments.some((g) => g.phase === this.s.phase && g.cycle > this.s.cycle);
  }

  onBatchEnd(ctx: TrainContext, batch: number): void {
    const b = ctx.batchesPerEpoch;
    // The first plan guessed the pace; once a twentieth of the epoch after its first batch (which
    // pays one-off costs) is timed, plan again from it. (Alone only: data-parallel ranks would time
    // it differently and must follow one plan.)
    if (batch === this.startBatch + 1) this.firstBatch = ctx.epochSeconds;
    const timed = batch - this.startBatch - 1;
    if (this.s.guess && ctx.worldSize === 1 && batch < b && timed >= Math.max(1, Math.ceil(b / 20)) && ctx.epochSeconds > this.firstBatch) this.revise(ctx, batch, timed);
    // Sets the next step's rate; after the last batch the record keeps the rate of the step taken.
    if (batch < b) this.setLr(ctx, batch);
  }

  /**
   * Re-plans the segment `done` batches into an epoch from the pace measured so far, keeping the
   * position continuous: the rest of the epoch runs linearly from here to where the new plan puts its end.
   */
  private revise(ctx: TrainContext, done: number, timed: number): void {
    this.s.guess = false;
    const b = ctx.batchesPerEpoch, g = this.segment();
    const epoch = ((ctx.epochSeconds - this.firstBatch) / timed) * b; // training only; validation is a small part
    const n = planEpochs(g.end * this.budget - ctx.state.seconds, epoch, g.last);
    this.timedPace = { key: sizeKey(ctx.config.phases[this.s.phase]!), seconds: epoch };
    const now = this.position(ctx, done);
    const end = now + ((1 - now) * (1 - done / b)) / (n - done / b);
    // (pos, planned) of the line through (done, now) and (b, end): v(k) = pos + (1 − pos)(k/b)/planned.
    const slope = (end - now) / (b - done);
    const pos = now - slope * done;
    this.s.pos = pos;
    this.s.planned = (1 - pos) / (slope * b);
    ctx.log(`budget: timed at ${epoch.toFixed(1)} s an epoch, phase ${this.s.phase + 1} now has ${n} epoch${n === 1 ? '' : 's'} planned, this one included`);
    // Said at the first timing, minutes before the stop: a budget too short for an epoch of every phase.
    const phases = ctx.config.phases.length, fit = Math.floor(this.budget / epoch);
    if (ctx.state.epoch === 0 && ctx.state.seconds === 0 && fit < phases) {
      const lost = this.phasesAfter(ctx).slice(Math.max(0, fit - 1));
      ctx.log(`warning: at about ${Math.round(epoch)} s an epoch, a ${this.minutes}-minute budget fits ${fit === 0 ? 'less than one epoch' : `${fit} epoch${fit === 1 ? '' : 's'}`} for ${phases} phases, ` +
        `so phase${lost.length > 1 ? 's' : ''} ${lost.join(', ')} will not run: give --max-minutes ${minutesForPhases(phases, epoch)} or more for an epoch of every phase`);
    }
  }

  private position(ctx: TrainContext, done: number): number {
    return this.s.pos + ((1 - this.s.pos) * (done / ctx.batchesPerEpoch)) / this.s.planned;
  }

  /** The cosine phase's rate at `done` batches into the epoch (the loop's per-step schedule, on budget positions). */
  private setLr(ctx: TrainContext, done: number): void {
    const phase = ctx.config.phases[this.s.phase]!;
    if (!phase.schedule) return; // a constant or plateau-driven rate is not the budget's to shape
    const v = this.position(ctx, done);
    ctx.optimizer.lr = cosineAt(phase.lr ?? ctx.config.optimizer.lr, phase.schedule.minLr ?? 0, v);
  }

  onEpochEnd(ctx: TrainContext, r: EpochRecord): void {
    const st = ctx.state;
    if (anyCrop(ctx)) {
      const key = sizeKey(ctx.config.phases[this.s.phase]!), paces = (this.s.paces ??= {});
      const [t0, n0] = paces[key] ?? [0, 0];
      paces[key] = [t0 + r.seconds, n0 + 1];
    }
    const cycles = ctx.config.phases[this.s.phase]!.schedule?.cycles ?? 1;
    this.cycleEnded = this.s.planned <= 1 + 1e-9; // a revised plan's count may be a float
    this.s.pos = this.cycleEnded ? 0 : this.s.pos + (1 - this.s.pos) / this.s.planned;
    this.s.plannedFor = -1;
    if (this.cycleEnded) this.s.cycle += 1;
    const d = this.estimate(ctx);
    // The next epoch's cost decides whether it fits: the next phase may train on another tile size.
    let next = d;
    if (this.s.cycle >= cycles) {
      this.epochsLeftInPhase = 0;
      ctx.endPhase();
      if (this.s.phase + 1 < ctx.config.phases.length) next = this.estimate(ctx, this.s.phase + 1);
    } else {
      // What the plan now expects: the rest of this cycle, and the later cycles at the current pace.
      let left = 0, t = st.seconds;
      for (const g of this.segments.filter((x) => x.phase === this.s.phase && x.cycle >= this.s.cycle)) {
        const n = planEpochs(g.end * this.budget - t, d, g.last);
        left += n;
        t += n * d;
      }
      this.epochsLeftInPhase = left;
    }
    if (ctx.finalEpoch() || st.seconds + next <= this.budget + 1e-6) return; // (a microsecond of rounding is no overrun)
    ctx.log(budgetStopLine({ used: st.seconds, minutes: this.minutes, epochSeconds: next, epochs: st.epoch, skipped: this.phasesAfter(ctx), phases: ctx.config.phases.length }));
    ctx.stop('time');
  }

  /** The phases after the current one, as `2 (lovasz)`: those a stop now leaves untrained. */
  private phasesAfter(ctx: TrainContext): string[] {
    return ctx.config.phases.map((p, i) => `${i + 1} (${lossName(p.loss)})`).slice(this.s.phase + 1);
  }

  // The early timing goes with the plan, so a run resumed in its first epoch shows the same expected epochs.
  stateDict(): ShapeState & { timedPace?: { key: string; seconds: number } } { return { ...this.s, ...(this.timedPace ? { timedPace: this.timedPace } : {}) }; }
  loadStateDict(saved: unknown): void {
    const { timedPace, ...s } = saved as ShapeState & { timedPace?: { key: string; seconds: number } };
    this.s = s;
    this.timedPace = timedPace ?? null;
  }
}
