// The training loop: loss phases over seeded, augmented batches, validation with the competition
// metric each epoch, and exact resume. Everything else (best weights, snapshots, history, status,
// learning-rate plateaus, early stopping, the time budget, NaN and signal stops, progress and
// post-training tuning) is a callback (./callbacks/), as in Lightning and Keras.
import { Augmenter } from '../data/augment.js';
import { lossName, makeLoss } from '../losses/losses.js';
import type { TrainConfig } from '../run/config.js';
import type { EpochRecord } from '../run/history.js';
import { runPath } from '../run/layout.js';
import { fromArray, tidy } from '../torch/index.js';
import { defaultCallbacks, LambdaCallback, TrainingError, type Callback, type LambdaHooks, type LoopState, type TrainContext, type TrainOutcome } from './callbacks/index.js';
import { checkpoint, restoreLoop, START } from './loop-state.js';
import { objective } from './objective.js';
import { cosineFor, makeOptimizer } from './optimizers.js';
import { setupRun, type RunSetup } from './setup.js';
import { validateEpoch } from './validate.js';

export { TrainingError } from './callbacks/callback.js';

export interface TrainResult {
  run: string;
  /** Best validation mAP at 0.5 without TTA, and its 1-based epoch. */
  best: number;
  bestEpoch: number;
  /** Tuned on the validation tiles with flip TTA (0.5 and the best mAP when the run did not finish). */
  threshold: number;
  thresholdScore: number;
  epochs: number;
  stopped: TrainOutcome['stopped'];
  /** The signal that interrupted the run, if one did. */
  signal?: 'SIGINT' | 'SIGTERM';
}

export interface TrainHooks extends LambdaHooks {
  log?: (line: string) => void;
  /** Extra callbacks, run after the built-in bookkeeping of each epoch (see defaultCallbacks). */
  callbacks?: Callback[];
}

/**
 * Trains a new run (a resolved TrainConfig: its run directory is created) or continues one
 * (`{resume: dir}`) exactly where its checkpoint left it. Throws TrainingError (non-finite loss, an
 * existing run, nothing to resume), RunLockedError (another trainer writes the run), ConfigError and
 * DataError; the run's status file then says why.
 */
export async function train(configOrRun: TrainConfig | { resume: string }, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? ((l: string) => console.log(l));
  const s = await setupRun(configOrRun, log);
  try {
    return await fit(s, hooks, log);
  } finally {
    s.lock.release();
    s.model.dispose();
  }
}

/** The loop over phases, epochs and batches of a prepared run, with its callbacks. */
async function fit(s: RunSetup, hooks: TrainHooks, log: (line: string) => void): Promise<TrainResult> {
  const { run, config: c, model, loader } = s;
  const { callbacks, best } = defaultCallbacks(c, [new LambdaCallback(hooks), ...(hooks.callbacks ?? [])]);
  let opt = s.optimizer;
  let st: LoopState = s.saved === null ? { ...START } : restoreLoop(s.saved, callbacks);
  if (st.phase >= c.phases.length) {
    throw new TrainingError(`${run} has trained all its ${st.epoch} epochs; there is nothing to resume. Tune it again with halite tune --run ${run}, or train a new run with another --name`);
  }
  if (s.saved !== null) log(`resuming ${run} at epoch ${st.epoch + 1}${st.batch ? `, batch ${st.batch + 1}` : ''} (phase ${st.phase + 1}: ${lossName(c.phases[st.phase]!.loss)})`);
  type StopRequest = { reason: Exclude<TrainOutcome['stopped'], 'finished'>; signal?: 'SIGINT' | 'SIGTERM' };
  let stop = null as StopRequest | null;
  let phaseEnded = false;
  const ctx: TrainContext = {
    run, config: c, model, totalEpochs: c.phases.reduce((a, p) => a + p.epochs, 0), batchesPerEpoch: loader.batchesPerEpoch, val: s.val, log,
    get optimizer() { return opt; },
    get state() { return st; },
    stop: (reason, signal) => { stop ??= { reason, ...(signal ? { signal } : {}) }; },
    endPhase: () => { phaseEnded = true; },
    finalEpoch: () => st.phase === c.phases.length - 1 && (phaseEnded || st.epochInPhase >= c.phases[st.phase]!.epochs),
  };
  const each = (f: (cb: Callback) => void) => { for (const cb of callbacks) f(cb); };
  const outcome: TrainOutcome = { stopped: 'finished', threshold: 0.5, thresholdScore: -Infinity };
  model.train();
  try {
    each((cb) => cb.onTrainStart?.(ctx));
    phases: while (st.phase < c.phases.length) {
      const phase = c.phases[st.phase]!;
      const lossFn = makeLoss(phase.loss);
      const cosine = cosineFor(phase, opt, c.optimizer.lr);
      while (st.epochInPhase < phase.epochs) {
        const t0 = performance.now();
        each((cb) => cb.onEpochStart?.(ctx));
        let k = 0;
        for await (const b of loader.epoch(st.epoch)) {
          if (k++ < st.batch) continue; // done before the interruption this run resumes from
          // Augmentations are seeded per (run, epoch, batch), so a resumed epoch draws the same ones.
          const aug = new Augmenter(c.augmentations, (c.seed * 7919 + st.epoch * 104729 + k) >>> 0);
          // The schedule is a function of the position in the phase, so resuming recomputes it exactly.
          cosine?.step(st.epochInPhase + (k - 1) / loader.batchesPerEpoch);
          const loss = tidy(() => {
            const a = aug.apply(fromArray(b.images, b.shape), fromArray(b.masks!, b.shape));
            opt.zeroGrad();
            const l = objective(model, lossFn, a.images, a.masks, c.heads, { precision: c.precision, device: c.device });
            const v = l.item();
            if (Number.isFinite(v)) { // a non-finite loss skips the step; StopOnNaN ends the run
              l.backward();
              opt.step();
            }
            return v;
          });
          st = { ...st, batch: k, lossSum: st.lossSum + loss * b.indices.length, lossCount: st.lossCount + b.indices.length };
          each((cb) => cb.onBatchEnd?.(ctx, k, loss, b.indices.length));
          // Ready batches resolve as microtasks, which never let a signal in: yield once per batch so
          // Ctrl-C stops after this batch rather than at the end of the epoch.
          await new Promise<void>((r) => setImmediate(r));
          if (stop?.reason === 'interrupted') break;
        }
        if (stop?.reason === 'interrupted') {
          st = { ...st, seconds: st.seconds + (performance.now() - t0) / 1000 };
          checkpoint(run, model, opt, st, callbacks);
          log(`interrupted: checkpoint written to ${runPath(run, 'checkpoint')}; continue with: halite train --resume ${run}`);
          break phases;
        }
        const v = validateEpoch(model, lossFn, s.val.images, s.val.masks, 64);
        const seconds = (performance.now() - t0) / 1000;
        const rec: EpochRecord = {
          epoch: st.epoch + 1, phase: st.phase + 1, loss: lossName(phase.loss), train_loss: st.lossSum / st.lossCount,
          val_loss: v.loss, val_map: v.map, lr: opt.lr, seconds, best: false,
        };
        st = { ...st, epoch: st.epoch + 1, epochInPhase: st.epochInPhase + 1, batch: 0, lossSum: 0, lossCount: 0, seconds: st.seconds + seconds };
        phaseEnded = false;
        each((cb) => cb.onEpochEnd?.(ctx, rec));
        if (phaseEnded || st.epochInPhase >= phase.epochs) {
          // The next phase recompiles, as the write-up does: a fresh optimizer at its own learning rate.
          st = { ...st, phase: st.phase + 1, epochInPhase: 0 };
          const next = c.phases[st.phase];
          if (next) opt = makeOptimizer(model, c.optimizer, next.lr ?? opt.lr);
        }
        checkpoint(run, model, opt, st, callbacks);
        if (stop && st.phase < c.phases.length) break phases;
        if (st.epochInPhase === 0) continue phases;
      }
    }
    if (stop && st.phase < c.phases.length) Object.assign(outcome, { stopped: stop.reason }, stop.signal ? { signal: stop.signal } : {});
    outcome.thresholdScore = best.best;
    each((cb) => cb.onTrainEnd?.(ctx, outcome));
  } catch (e) {
    outcome.error = e as Error;
    for (const cb of callbacks) {
      try { cb.onTrainEnd?.(ctx, outcome); } catch { /* the first error is the one to report */ }
    }
    throw e;
  }
  return { run, best: best.best, bestEpoch: best.bestEpoch, threshold: outcome.threshold, thresholdScore: outcome.thresholdScore, epochs: st.epoch, stopped: outcome.stopped, ...(outcome.signal ? { signal: outcome.signal } : {}) };
}
