// The training loop: loss phases over seeded, augmented batches, validation with the competition
// metric each epoch, and exact resume. Everything else (best weights, snapshots, history, status,
// learning-rate plateaus, early stopping, the time budget, NaN and signal stops, progress and
// post-training tuning) is a callback (./callbacks/), as in Lightning and Keras.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Augmenter } from '../data/augment.js';
import { loadWeights } from '../io/weights.js';
import type { ProcessGroup } from '../distributed/index.js';
import { lossName, makeLoss } from '../losses/losses.js';
import { readRunConfig, type TrainConfig } from '../run/config.js';
import type { EpochRecord } from '../run/history.js';
import { haliteProgram, RUN_FILES, resumeCommand, runPath } from '../run/layout.js';
import { readStatus } from '../run/status.js';
import { quote } from 'shell-quote';
import { convertSyncBatchNorm } from '../nn/layers.js';
import { tidy } from '../torch/index.js';
import { defaultCallbacks, LambdaCallback, TrainingError, type Callback, type LambdaHooks, type LoopState, type TrainContext, type TrainOutcome } from './callbacks/index.js';
import { DataParallel, broadcastBytes, type Signal } from './data-parallel.js';
import { checkpoint, checkWorldSize, restoreLoop, savedWorldSize, START } from './loop-state.js';
import { objective } from './objective.js';
import { cosineFor, makeOptimizer } from './optimizers.js';
import { batchTensors } from './batch.js';
import { setupRun, type RunSetup } from './setup.js';
import { validateEpoch } from './validate.js';
import { validatesEpoch, type EpochPosition } from './validation-schedule.js';

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
  /**
   * The training clock in milliseconds (default performance.now), which times epochs for the history
   * and the time budget; tests pass a fake one. Single process only: data-parallel ranks agree on
   * times from the real clock.
   */
  clock?: () => number;
  /**
   * Data-parallel training (DistributedDataParallel's semantics) over this process group, of which
   * every rank calls train() with the same config (or the same `resume`; only rank 0 needs the run
   * directory). Absent, or a group of one: a single process, exactly as without it.
   */
  group?: ProcessGroup;
}

/**
 * Trains a new run (a resolved TrainConfig: its run directory is created) or continues one
 * (`{resume: dir}`) exactly where its checkpoint left it. Throws TrainingError (non-finite loss, an
 * existing run, nothing to resume), RunLockedError (another trainer writes the run), ConfigError and
 * DataError; the run's status file then says why.
 */
export async function train(configOrRun: TrainConfig | { resume: string }, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? ((l: string) => console.log(l));
  const dp = hooks.group && hooks.group.worldSize > 1 ? await DataParallel.join(hooks.group) : null;
  // Each rank would plan its epochs and learning rates from its own clock, and the ranks would part ways.
  if (dp && !('resume' in configOrRun) && configOrRun.budget === 'shape') {
    throw new TrainingError(`"budget": "shape" is for one process: with ${dp.worldSize} processes use "budget": "cut" (maxMinutes stops after the epoch that would overrun it) or fixed epochs`);
  }
  let scratch: string | null = null;
  try {
    if (dp && 'resume' in configOrRun) {
      scratch = await shareResume(dp, configOrRun.resume);
      if (scratch !== null) configOrRun = { resume: scratch };
    }
    const s = await setupRun(configOrRun, log, dp ? { writer: dp.rank === 0, rank: dp.rank, worldSize: dp.worldSize } : {});
    try {
      if (dp && s.config.syncBatchNorm) {
        const n = convertSyncBatchNorm(s.model, dp.group);
        log(`SyncBatchNorm: ${n} BatchNorm layer${n === 1 ? ' takes' : 's take'} statistics over all ${dp.worldSize} processes' batches`);
      }
      if (dp) await dp.broadcastModel(s.model);
      return await fit(s, hooks, log, dp);
    } finally {
      s.lock?.release();
      s.model.dispose();
      await s.loader.close();
    }
  } finally {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A data-parallel resume: rank 0 checks the checkpoint's world size and sends the run's config and
 * checkpoint to the other ranks, which need no access to the run directory (another machine); they
 * resume from a scratch copy that is theirs alone. Returns that copy's folder (null on rank 0).
 * @throws TrainingError on every rank when rank 0 cannot resume (a finished run, a world size other than the
 *   checkpoint's, no checkpoint), with rank 0's message.
 */
async function shareResume(dp: DataParallel, dir: string): Promise<string | null> {
  const files = [RUN_FILES.config, RUN_FILES.checkpoint] as const;
  const names = ['config', 'checkpoint'] as const;
  if (dp.rank === 0) {
    let payload: Uint8Array[] | { error: string };
    try {
      payload = names.map((f) => readFileSync(runPath(dir, f)));
      const state = checkpointState(payload[1]!);
      const loop = (state as { loop?: LoopState } | null)?.loop;
      // Read through readRunConfig so that a damaged config.json is named, as a single process names it.
      if (loop) checkNotFinished(dir, loop, readRunConfig(dir));
      checkWorldSize(dir, savedWorldSize(state), dp.worldSize);
    } catch (e) {
      payload = { error: (e as Error).message };
    }
    for (let k = 0; k < files.length; k++) await broadcastBytes(dp.group, Array.isArray(payload) ? payload[k]! : payload);
    return null;
  }
  const scratch = mkdtempSync(join(tmpdir(), `halite-rank${dp.rank}-`));
  try {
    for (const f of names) writeFileSync(runPath(scratch, f), await broadcastBytes(dp.group, null));
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
  return scratch;
}

/**
 * Throws TrainingError when nothing is left to resume: the loop stands past the last of the run's phases,
 * or the run stopped on its time budget (status.json says "time"; resuming would train past it).
 */
function checkNotFinished(run: string, loop: LoopState, c: Pick<TrainConfig, 'phases' | 'maxMinutes'>): void {
  const tune = `Tune it again with ${haliteProgram()} tune --run ${quote([run])}, or train a new run with another --name`;
  if (loop.phase >= c.phases.length) throw new TrainingError(`${run} has trained all its ${loop.epoch} epochs; there is nothing to resume. ${tune}`);
  if (readStatus(run)?.state === 'time') {
    throw new TrainingError(`${run} stopped on its time budget (${(loop.seconds / 60).toFixed(1)} of ${c.maxMinutes ?? '?'} minutes trained, ${loop.epoch} epochs); there is nothing to resume. ${tune} (and a larger --max-minutes)`);
  }
}

/** The loop-state JSON in a checkpoint file's safetensors header (see run/checkpoint.ts), or null. */
function checkpointState(bytes: Uint8Array): unknown {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as { __metadata__?: { state?: string } };
  return header.__metadata__?.state ? JSON.parse(header.__metadata__.state) as unknown : null;
}

/** The validation tiles of an epoch the validation schedule skips. */
const NO_TILES = { images: new Float32Array(0), masks: new Uint8Array(0) };

/** The loop over phases, epochs and batches of a prepared run, with its callbacks. */
async function fit(s: RunSetup, hooks: TrainHooks, log: (line: string) => void, dp: DataParallel | null): Promise<TrainResult> {
  const { run, config: c, model, loader } = s;
  const writer = dp === null || dp.rank === 0;
  const worldSize = dp?.worldSize ?? 1;
  // SyncBatchNorm's forward and backward hold collectives (train() converted the model's BatchNorms).
  const synced = dp !== null && c.syncBatchNorm === true;
  const now = (dp === null ? hooks.clock : undefined) ?? (() => performance.now());
  // A budget-shaped run's phases end when BudgetShape says, not after their configured epochs.
  const shaped = c.budget === 'shape';
  const { callbacks, best, shape, ema } = defaultCallbacks(c, [new LambdaCallback(hooks), ...(hooks.callbacks ?? [])], { writer });
  let opt = s.optimizer;
  let st: LoopState = s.saved === null ? { ...START } : restoreLoop(s.saved, callbacks);
  // Said before the world size: a finished run has nothing to resume with any number of processes.
  checkNotFinished(run, st, c);
  if (s.saved !== null) {
    checkWorldSize(run, savedWorldSize(s.saved), worldSize);
    log(`resuming ${run} at epoch ${st.epoch + 1}${st.batch ? `, batch ${st.batch + 1}` : ''} (phase ${st.phase + 1}: ${lossName(c.phases[st.phase]!.loss)}), in ${c.precision} on ${c.device} as its config.json says`);
  }
  type StopRequest = { reason: Exclude<TrainOutcome['stopped'], 'finished'>; signal?: 'SIGINT' | 'SIGTERM' };
  let stop = null as StopRequest | null;
  // With data parallelism a signal reaches one rank; it waits here until the ranks agree on it.
  let pending = null as Signal | null;
  const agreed = (sig: Signal | null) => { if (sig) stop ??= { reason: 'interrupted', signal: sig }; };
  let phaseEnded = false;
  let t0 = now();
  let shared: TrainContext['valPredictions'];
  const configuredEpochs = c.phases.reduce((a, p) => a + p.epochs, 0);
  const ctx: TrainContext = {
    run, config: c, model, batchesPerEpoch: loader.batchesPerEpoch, worldSize, val: s.val, log,
    // A budget-shaped run has as many epochs as its plan expects, not its configured count.
    get totalEpochs() { return shape ? shape.expectedEpochs(ctx) : configuredEpochs; },
    get optimizer() { return opt; },
    get state() { return st; },
    get epochSeconds() { return (now() - t0) / 1000; },
    get valPredictions() { return shared; },
    stop: (reason, signal) => {
      if (dp && reason === 'interrupted') pending ??= signal ?? 'SIGINT';
      else stop ??= { reason, ...(signal ? { signal } : {}) };
    },
    endPhase: () => { phaseEnded = true; },
    finalEpoch: () => st.phase === c.phases.length - 1 && (phaseEnded || (!shaped && st.epochInPhase >= c.phases[st.phase]!.epochs)),
  };
  // Where the epoch under way stands, for the validation schedule (`elapsed`: its training seconds so far).
  const budget = c.maxMinutes !== undefined ? c.maxMinutes * 60 : null;
  const position = (at: LoopState, elapsed: number): EpochPosition => {
    const spent = at.seconds + elapsed;
    return {
      epoch: at.epoch + 1,
      endsPhase: shape ? shape.endsPhase() : at.epochInPhase + 1 >= c.phases[at.phase]!.epochs,
      progress: budget !== null ? spent / budget : (at.epoch + 1) / configuredEpochs,
      // TimeBudget stops when another epoch like this one would overrun; BudgetShape knows each tile size's pace.
      lastInBudget: shape ? shape.mayStopAfter(ctx, elapsed) : budget !== null && spent + 2 * elapsed > budget,
    };
  };
  const each = (f: (cb: Callback) => void) => { for (const cb of callbacks) f(cb); };
  const outcome: TrainOutcome = { stopped: 'finished', threshold: 0.5, thresholdScore: -Infinity };
  model.train();
  try {
    each((cb) => cb.onTrainStart?.(ctx));
    phases: while (st.phase < c.phases.length) {
      const phase = c.phases[st.phase]!;
      const lossFn = makeLoss(phase.loss);
      const cosine = shaped ? null : cosineFor(phase, opt, c.optimizer.lr);
      while (shaped || st.epochInPhase < phase.epochs) {
        // A resumed epoch's clock starts where the interruption left it.
        t0 = now() - st.epochSeconds * 1000;
        each((cb) => cb.onEpochStart?.(ctx));
        let k = 0;
        for await (const b of loader.epoch(st.epoch)) {
          if (k++ < st.batch) continue; // done before the interruption this run resumes from
          // Augmentations are seeded per (run, epoch, batch), so a resumed epoch draws the same ones.
          // (Ranks other than 0 draw their own: their tiles differ anyway.)
          const aug = new Augmenter(c.augmentations, (c.seed * 7919 + st.epoch * 104729 + k + (dp?.rank ?? 0) * 15485863) >>> 0);
          // The schedule is a function of the position in the phase, so resuming recomputes it exactly.
          cosine?.step(st.epochInPhase + (k - 1) / loader.batchesPerEpoch);
          // Forward and backward; the optimizer steps here too unless the ranks must first agree.
          const forward = (step: boolean) => tidy(() => {
            let { images: x, masks: y } = batchTensors(b);
            if (phase.crop !== undefined) ({ images: x, masks: y } = aug.crop(x, y, phase.crop));
            const a = aug.apply(x, y);
            opt.zeroGrad();
            const l = objective(model, lossFn, a.images, a.masks, c.heads, { precision: c.precision, device: c.device });
            const v = l.item();
            // A non-finite loss skips the step; StopOnNaN ends the run. With SyncBatchNorm every rank
            // runs backward all the same, as the other ranks' backward waits on its collectives.
            if (Number.isFinite(v) || synced) {
              l.backward();
              if (step && Number.isFinite(v)) opt.step();
            }
            return v;
          });
          let loss: number, size = b.indices.length;
          if (dp === null) {
            loss = forward(true);
          } else {
            const where = `epoch ${st.epoch + 1}, batch ${k}`;
            const mine = synced ? dp.step(where, () => forward(false)) : forward(false);
            // The ranks agree on the step's loss (so all skip a non-finite one, and StopOnNaN and the
            // history see the global batch's) and on any stop signal, then average gradients: DDP's step.
            const g = await dp.agreeStep(mine, size, pending, where);
            loss = g.loss;
            size = g.size;
            if (Number.isFinite(loss)) {
              await dp.averageGradients(model.parameters(), where);
              tidy(() => opt.step());
            }
            agreed(g.signal);
          }
          st = { ...st, batch: k, lossSum: st.lossSum + loss * size, lossCount: st.lossCount + size };
          each((cb) => cb.onBatchEnd?.(ctx, k, loss, size));
          // Ready batches resolve as microtasks, which never let a signal in: yield once per batch so
          // Ctrl-C stops after this batch rather than at the end of the epoch.
          await new Promise<void>((r) => setImmediate(r));
          if (stop?.reason === 'interrupted') break;
        }
        if (stop?.reason === 'interrupted') {
          st = { ...st, epochSeconds: (now() - t0) / 1000 };
          if (writer) {
            checkpoint(run, model, opt, st, callbacks, worldSize);
            log(`interrupted: checkpoint written to ${runPath(run, 'checkpoint')}; continue with: ${resumeCommand(run)}${worldSize > 1 ? ` with the same ${worldSize} processes` : ''}`);
          }
          break phases;
        }
        const validate = validatesEpoch(c.validation, position(st, (now() - t0) / 1000));
        // With an EMA, the averaged weights are validated and saved (best, snapshots) until the checkpoint below.
        ema?.ema?.swap(model);
        let v: { loss: number | null; map: number | null } = { loss: null, map: null }, seconds: number;
        if (dp === null) {
          if (validate) v = validateEpoch(model, lossFn, s.val.images, s.val.masks, 64);
          seconds = (now() - t0) / 1000;
        } else {
          // Sharded and reduced exactly; the ranks also agree on the epoch's time (the time budget's clock) and on
          // signals, also when the schedule skips validation (no tiles then).
          const d = await dp.validate(model, lossFn, validate ? s.val : NO_TILES, 64, t0, pending, `validation of epoch ${st.epoch + 1}`);
          if (validate) v = d;
          seconds = d.seconds;
          agreed(d.signal);
        }
        const rec: EpochRecord = {
          epoch: st.epoch + 1, phase: st.phase + 1, loss: lossName(phase.loss), train_loss: st.lossSum / st.lossCount,
          val_loss: v.loss, val_map: v.map, lr: opt.lr, seconds, best: false,
        };
        st = { ...st, epoch: st.epoch + 1, epochInPhase: st.epochInPhase + 1, batch: 0, lossSum: 0, lossCount: 0, seconds: st.seconds + seconds, epochSeconds: 0 };
        phaseEnded = false;
        each((cb) => cb.onEpochEnd?.(ctx, rec));
        if (phaseEnded || (!shaped && st.epochInPhase >= phase.epochs)) {
          // The next phase recompiles, as the write-up does: a fresh optimizer at its own learning rate.
          st = { ...st, phase: st.phase + 1, epochInPhase: 0 };
          const next = c.phases[st.phase];
          if (next) opt = makeOptimizer(model, c.optimizer, next.lr ?? opt.lr);
        }
        ema?.ema?.swap(model);
        if (writer) checkpoint(run, model, opt, st, callbacks, worldSize);
        if (stop && st.phase < c.phases.length) break phases;
        if (st.epochInPhase === 0) continue phases;
      }
    }
    if (stop && st.phase < c.phases.length) Object.assign(outcome, { stopped: stop.reason }, stop.signal ? { signal: stop.signal } : {});
    outcome.thresholdScore = best.best;
    if (dp && (outcome.stopped === 'finished' || outcome.stopped === 'time') && best.bestEpoch >= 1) {
      // Tuning predicts the validation tiles with the best weights (rank 0's file), shared out over the ranks.
      if (writer) loadWeights(runPath(run, 'best'), model);
      await dp.broadcastModel(model);
      shared = await dp.predictValidation(model, s.val, c.device);
    }
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
