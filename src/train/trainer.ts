// The training loop: loss phases, validation with the competition metric, callbacks (best-only
// checkpoint, ReduceLROnPlateau, early stopping), a run directory, exact resume, Ctrl-C and NaN stops.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Augmenter } from '../data/augment.js';
import { coverage, coverageClass } from '../data/coverage.js';
import { BatchLoader } from '../data/loader.js';
import { PIXELS } from '../data/rle.js';
import { prescribedSplit, stratifiedFolds, stratifiedSplit } from '../data/split.js';
import { readTgs, type TgsData } from '../data/tgs.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadWeights, saveWeights } from '../io/weights.js';
import { makeLoss, type Loss } from '../losses/losses.js';
import { meanScore, binarize, linspace } from '../metrics/competition.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { OptimizerLike } from '../optim/optimizer.js';
import { RMSprop } from '../optim/rmsprop.js';
import { CosineAnnealingWarmRestarts, ReduceLROnPlateau } from '../optim/schedule.js';
import { SGD } from '../optim/sgd.js';
import { BLAS_ADVICE, blasInUse, fromArray, manualSeed, noGrad, setNumThreads, tidy } from '../torch/index.js';
import { disposeMembers, loadMembers, predictEnsemble, snapshotFiles } from '../infer/ensemble.js';
import { predictTiles } from '../infer/predict.js';
import { tunePostprocess, type Tuned } from '../infer/tune.js';
import { EncoderUNet } from '../models/encoder-unet.js';
import { loadEncoderWeights } from '../models/encoders/index.js';
import { readPseudoLabels } from '../data/pseudo.js';
import { concatTyped } from '../data/arrays.js';
import { objective } from './objective.js';
import { loadCheckpoint, saveCheckpoint, type LoopState } from './checkpoint.js';
import type { OptimizerConfig, PhaseConfig, TrainConfig } from '../run/config.js';
import { checkTrainingInputs, readRunConfig } from '../run/config.js';
import { SNAPSHOT_TUNING } from './history.js';
import { Progress } from './progress.js';

export interface EpochRecord {
  epoch: number;
  phase: number;
  loss: string;
  train_loss: number;
  val_loss: number;
  val_map: number;
  lr: number;
  seconds: number;
  best: boolean;
}

export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

export interface TrainResult {
  run: string;
  best: number;
  bestEpoch: number;
  threshold: number;
  thresholdScore: number;
  epochs: number;
  stopped: 'finished' | 'time' | 'interrupted' | 'limit';
  /** The signal that interrupted the run, if one did. */
  signal?: 'SIGINT' | 'SIGTERM';
}

export interface TrainHooks {
  log?: (line: string) => void;
  /** Stop (with a checkpoint) once this many epochs of the run are complete, as if interrupted. */
  stopAfterEpochs?: number;
  /** Called after each epoch's record is written. */
  onEpoch?: (r: EpochRecord) => void;
  /** Called after each training batch (epoch and batch counted from 1). */
  onBatch?: (epoch: number, batch: number, loss: number) => void;
}

function makeOptimizer(model: Module, o: OptimizerConfig, lr: number): OptimizerLike {
  const params = model.parameters();
  const wd = o.weightDecay ?? 0;
  switch (o.name) {
    case 'adam': return new Adam(params, { lr, weightDecay: wd });
    case 'adamw': return new AdamW(params, { lr, weightDecay: o.weightDecay ?? 0.01 });
    case 'sgd': return new SGD(params, { lr, momentum: o.momentum ?? 0.9, weightDecay: wd });
    case 'rmsprop': return new RMSprop(params, { lr, momentum: o.momentum ?? 0, weightDecay: wd });
  }
}

/** Train and validation indices from the config's split, or the data folder's split.json (held-out inlines) when it has one and no folds are asked for. */
export function splitIndices(data: TgsData, c: TrainConfig): { train: number[]; val: number[] } {
  const prescribed = c.folds === undefined ? prescribedSplit(data.dir, data.train.ids) : undefined;
  if (prescribed) return prescribed;
  const seed = c.splitSeed ?? c.seed;
  const classes = data.train.ids.map((_, i) => coverageClass(coverage(data.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS))));
  if (c.folds !== undefined) {
    const fold = stratifiedFolds(classes, c.folds, seed);
    return { train: fold.flatMap((f, i) => (f !== c.fold ? [i] : [])), val: fold.flatMap((f, i) => (f === c.fold ? [i] : [])) };
  }
  return stratifiedSplit(classes, c.valFraction, seed);
}

/** The validation tiles of a run's split, gathered into their own arrays. */
export function validationTiles(data: TgsData, c: TrainConfig): { ids: string[]; images: Float32Array; masks: Uint8Array } {
  const { val } = splitIndices(data, c);
  const images = new Float32Array(val.length * PIXELS), masks = new Uint8Array(val.length * PIXELS);
  val.forEach((i, k) => {
    images.set(data.train.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    masks.set(data.train.masks.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
  });
  return { ids: val.map((i) => data.train.ids[i]!), images, masks };
}

/** Loss and competition metric (threshold 0.5 on probabilities, i.e. 0 on logits) on validation tiles. */
function validate(model: Module, lossFn: Loss, images: Float32Array, masks: Uint8Array, batchSize: number): { loss: number; map: number } {
  const n = images.length / PIXELS;
  let lossSum = 0;
  const truths: Uint8Array[] = [], preds: Uint8Array[] = [];
  model.eval();
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const [l, logits] = tidy(() => noGrad(() => {
      const x = fromArray(images.subarray(s * PIXELS, (s + m) * PIXELS), [m, 1, 101, 101]);
      const y = fromArray(Float32Array.from(masks.subarray(s * PIXELS, (s + m) * PIXELS)), [m, 1, 101, 101]);
      const out = model.forward(x);
      return [lossFn(out, y).item(), out.toArray() as Float32Array] as const;
    }));
    lossSum += l * m;
    for (let k = 0; k < m; k++) {
      truths.push(masks.subarray((s + k) * PIXELS, (s + k + 1) * PIXELS));
      preds.push(binarize(logits.subarray(k * PIXELS, (k + 1) * PIXELS), 0));
    }
  }
  model.train();
  return { loss: lossSum / n, map: meanScore(truths, preds) };
}

/** The phase's cosine schedule, starting from its own learning rate (or the optimizer's). */
function cosineFor(phase: PhaseConfig, opt: OptimizerLike, baseLr: number): CosineAnnealingWarmRestarts | null {
  if (!phase.schedule) return null;
  const cycles = phase.schedule.cycles ?? 1;
  opt.lr = phase.lr ?? baseLr;
  return new CosineAnnealingWarmRestarts(opt, phase.epochs / cycles, 1, phase.schedule.minLr ?? 0);
}

const lossName = (l: TrainConfig['phases'][number]['loss']) => (typeof l === 'string' ? l : l.name);

/** Creates a run directory for a new run, or continues one (`resume`). */
export async function train(configOrRun: TrainConfig | { resume: string }, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? ((l: string) => console.log(l));
  let c: TrainConfig;
  let run: string;
  const resuming = 'resume' in configOrRun;
  if (resuming) {
    run = resolve(configOrRun.resume);
    c = readRunConfig(run);
    checkTrainingInputs(c, join(run, 'config.json'), { resuming: true });
  } else {
    // The data folder is kept absolute so the run can be predicted from anywhere.
    c = { ...configOrRun, data: resolve(configOrRun.data) };
    for (const f of ['encoderWeights', 'pseudoLabels'] as const) if (c[f] !== undefined) c[f] = resolve(c[f]!);
    checkTrainingInputs(c, 'config');
    const name = c.name ?? `${c.model}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
    run = resolve(c.runsDir, name);
    if (existsSync(join(run, 'config.json'))) throw new TrainingError(`${run} already holds a run; resume it with --resume ${run} or pick another --name`);
    mkdirSync(run, { recursive: true });
    writeFileAtomic(join(run, 'config.json'), JSON.stringify({ ...c, name }, null, 2) + '\n');
  }
  // Watchers (halite serve) tell a live run from a dead one by this pid.
  const statusPath = join(run, 'status');
  writeFileSync(statusPath, `running ${process.pid}\n`);
  if (c.threads) setNumThreads(c.threads);
  manualSeed(c.seed);
  const blas = blasInUse();
  if (c.device === 'cpu' && blas.slow) log(`warning: ${BLAS_ADVICE} (loaded: ${blas.path})`);

  const data = await readTgs(c.data, { test: false });
  const trIdx = splitIndices(data, c).train;
  const { images: valImages, masks: valMasks } = validationTiles(data, c);
  let source = { images: data.train.images, masks: data.train.masks, height: 101, width: 101 };
  if (c.pseudoLabels) {
    // Pseudo-labelled tiles are appended after the labelled ones and only ever trained on.
    const p = await readPseudoLabels(c.pseudoLabels);
    const n = data.train.ids.length;
    source = { ...source, images: concatTyped([data.train.images, p.images]), masks: concatTyped([data.train.masks, p.masks]) };
    trIdx.push(...p.ids.map((_, k) => n + k));
    log(`pseudo-labels: ${p.ids.length} tiles from ${c.pseudoLabels} join the ${n - valImages.length / PIXELS} training tiles`);
  }
  const loader = new BatchLoader(source, trIdx, { batchSize: c.batchSize, seed: c.seed, shuffle: true });

  const model = createModel(c.model, c.modelOptions);
  if (c.encoderWeights && !resuming) {
    if (!(model instanceof EncoderUNet)) throw new TrainingError(`encoderWeights is for encoder-unet models; ${c.model} has no encoder`);
    const { skipped } = loadEncoderWeights(model.encoder, c.encoderWeights);
    log(`encoder weights: ${c.encoderWeights}${skipped.length ? ` (not loaded: ${skipped.join(', ')})` : ''}`);
  }
  if (c.device !== 'cpu') model.to({ device: c.device as 'cuda' });
  let opt = makeOptimizer(model, c.optimizer, c.phases[0]!.lr ?? c.optimizer.lr);
  const ckpt = join(run, 'last.ckpt.safetensors');
  let st: LoopState = {
    phase: 0, epochInPhase: 0, epoch: 0, batch: 0, lossSum: 0, lossCount: 0, best: -Infinity, bestEpoch: -1, badEpochs: 0,
    plateau: null, lr: opt.lr, seconds: 0,
  };
  if (resuming) {
    if (!existsSync(ckpt)) throw new TrainingError(`${run}: no last.ckpt.safetensors to resume from`);
    // The checkpoint restores the optimizer's moments and hyperparameters (its phase's learning rate).
    st = loadCheckpoint(ckpt, model, opt);
    log(`resuming ${run} at epoch ${st.epoch + 1}${st.batch ? `, batch ${st.batch + 1}` : ''} (phase ${st.phase + 1}: ${lossName(c.phases[st.phase]!.loss)})`);
  }
  model.train();

  let interrupted: 'SIGINT' | 'SIGTERM' | null = null;
  const onSigint = () => { interrupted ??= 'SIGINT'; };
  const onSigterm = () => { interrupted ??= 'SIGTERM'; };
  // SIGTERM (kill, a job scheduler's time limit) stops the same way as Ctrl-C: after the batch, with a checkpoint.
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const totalEpochs = c.phases.reduce((a, p) => a + p.epochs, 0);
  const progress = new Progress(loader.batchesPerEpoch, c.batchSize, { file: join(run, 'progress.json') });
  let stopped: TrainResult['stopped'] = 'finished';
  try {
    phases: while (st.phase < c.phases.length) {
      const phase = c.phases[st.phase]!;
      const lossFn = makeLoss(phase.loss);
      const cosine = cosineFor(phase, opt, c.optimizer.lr);
      const plateau = c.reduceLROnPlateau && !cosine ? new ReduceLROnPlateau(opt, { mode: 'max', ...c.reduceLROnPlateau }) : null;
      if (plateau && st.plateau) plateau.loadStateDict(st.plateau);
      while (st.epochInPhase < phase.epochs) {
        const t0 = performance.now();
        progress.start(st.epoch + 1, totalEpochs);
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
            if (Number.isFinite(v)) {
              l.backward();
              opt.step();
            }
            return v;
          });
          if (!Number.isFinite(loss)) {
            throw new TrainingError(`the ${lossName(phase.loss)} loss became ${loss} at epoch ${st.epoch + 1}, batch ${k}; training stopped. ` +
              `${existsSync(ckpt) ? `The last good checkpoint is ${ckpt}` : 'No checkpoint was written yet'}; lower the learning rate (now ${opt.lr}).`);
          }
          st.lossSum += loss * b.indices.length;
          st.lossCount += b.indices.length;
          st.batch = k;
          progress.update(k, st.lossSum / st.lossCount, opt.lr);
          hooks.onBatch?.(st.epoch + 1, k, loss);
          // Ready batches resolve as microtasks, which never let a signal in: yield once per batch so
          // Ctrl-C stops after this batch rather than at the end of the epoch.
          await new Promise<void>((r) => setImmediate(r));
          if (interrupted) break;
        }
        progress.stop();
        if (interrupted) {
          st.seconds += (performance.now() - t0) / 1000;
          saveCheckpoint(ckpt, model, opt, { ...st, plateau: plateau?.stateDict() ?? null, lr: opt.lr });
          log(`interrupted: checkpoint written to ${ckpt}; continue with: halite train --resume ${run}`);
          stopped = 'interrupted';
          break phases;
        }
        const v = validate(model, lossFn, valImages, valMasks, 64);
        const rec: EpochRecord = {
          epoch: st.epoch + 1, phase: st.phase + 1, loss: lossName(phase.loss), train_loss: st.lossSum / st.lossCount,
          val_loss: v.loss, val_map: v.map, lr: opt.lr, seconds: (performance.now() - t0) / 1000, best: v.map > st.best,
        };
        if (rec.best) {
          st.best = v.map;
          st.bestEpoch = rec.epoch;
          st.badEpochs = 0;
          saveWeights(join(run, 'best.safetensors'), model, { model: c.model, options: c.modelOptions, extra: { epoch: String(rec.epoch), val_map: String(v.map) } });
        } else {
          st.badEpochs += 1;
        }
        appendFileSync(join(run, 'history.jsonl'), JSON.stringify(rec) + '\n');
        const cycles = phase.schedule?.cycles ?? 1;
        const cycleEnd = cycles > 1 && (st.epochInPhase + 1) % (phase.epochs / cycles) === 0;
        if (cycleEnd || st.epochInPhase >= phase.epochs - (phase.snapshots ?? 0)) {
          // A warm-restart cycle's end or one of the phase's last epochs: a snapshot for the ensemble (predict --snapshots).
          saveWeights(join(run, `snapshot-e${rec.epoch}.safetensors`), model, { model: c.model, options: c.modelOptions, extra: { epoch: String(rec.epoch), val_map: String(v.map) } });
        }
        log(`epoch ${rec.epoch}/${totalEpochs} [${rec.loss}] train loss ${rec.train_loss.toFixed(4)}  val loss ${rec.val_loss.toFixed(4)}  val mAP ${rec.val_map.toFixed(4)}${rec.best ? ' *' : ''}  lr ${rec.lr.toExponential(2)}  ${rec.seconds.toFixed(1)} s`);
        hooks.onEpoch?.(rec);
        plateau?.step(v.map);
        st = { ...st, epoch: st.epoch + 1, epochInPhase: st.epochInPhase + 1, batch: 0, lossSum: 0, lossCount: 0, plateau: plateau?.stateDict() ?? null, lr: opt.lr,
          seconds: st.seconds + rec.seconds };
        if (c.earlyStopping !== null && st.badEpochs > c.earlyStopping.patience) {
          log(`early stopping phase ${st.phase + 1}: no improvement for ${c.earlyStopping.patience} epochs`);
          st.epochInPhase = phase.epochs;
        }
        if (st.epochInPhase >= phase.epochs) {
          // The next phase recompiles, as the write-up does: a fresh optimizer at its own learning rate.
          st = { ...st, phase: st.phase + 1, epochInPhase: 0, badEpochs: 0, plateau: null };
          const next = c.phases[st.phase];
          if (next) {
            opt = makeOptimizer(model, c.optimizer, next.lr ?? opt.lr);
            st.lr = opt.lr;
          }
        }
        saveCheckpoint(ckpt, model, opt, st);
        if (hooks.stopAfterEpochs !== undefined && st.epoch >= hooks.stopAfterEpochs) { stopped = 'limit'; break phases; }
        if (c.maxMinutes !== undefined && st.phase < c.phases.length && (st.seconds + rec.seconds) / 60 > c.maxMinutes) {
          // The next epoch is assumed to take as long as this one.
          log(`time budget: ${(st.seconds / 60).toFixed(1)} of ${c.maxMinutes} minutes used; another epoch would overrun it`);
          stopped = 'time';
          break phases;
        }
        if (st.epochInPhase === 0) continue phases;
      }
    }
  } catch (e) {
    writeFileSync(statusPath, `failed: ${(e as Error).message.replace(/\s+/g, ' ')}\n`);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    progress.stop();
  }

  let threshold = 0.5, thresholdScore = st.best;
  if ((stopped === 'finished' || stopped === 'time') && existsSync(join(run, 'best.safetensors'))) {
    loadWeights(join(run, 'best.safetensors'), model);
    const t = tuneRun(run, model, { images: valImages, masks: valMasks }, c);
    threshold = t.threshold;
    thresholdScore = t.score;
    log(`threshold ${threshold.toFixed(3)}: validation mAP ${t.thresholdScore.toFixed(4)} with flip TTA (best epoch ${st.bestEpoch}, ${st.best.toFixed(4)} at 0.5 without TTA)`);
    if (t.score > t.thresholdScore) log(`post-processing: minimum area ${t.minArea}${t.gate !== null ? `, salt gate ${t.gate}` : ''}: validation mAP ${t.score.toFixed(4)}`);
    const s = tuneSnapshots(run, { images: valImages, masks: valMasks }, c);
    if (s) log(`snapshot ensemble (${s.models} models, predict --snapshots): threshold ${s.tuned.threshold.toFixed(3)}, minimum area ${s.tuned.minArea}: validation mAP ${s.tuned.score.toFixed(4)} with flip TTA`);
  }
  writeFileSync(statusPath, `${stopped}\n`);
  model.dispose();
  return { run, best: st.best, bestEpoch: st.bestEpoch, threshold, thresholdScore, epochs: st.epoch, stopped, ...(interrupted ? { signal: interrupted } : {}) };
}

/** Tunes post-processing on flip-TTA validation probabilities and writes it to `file` in the run. */
function tuneTo(run: string, file: string, pred: { probs: Float32Array; salt: Float32Array | null }, masks: Uint8Array, c: TrainConfig): Tuned {
  const t = tunePostprocess(pred.probs, masks, pred.salt, linspace(c.sweep.from, c.sweep.to, c.sweep.steps));
  writeFileAtomic(join(run, file), JSON.stringify({ ...t, tta: true }, null, 2) + '\n');
  return t;
}

/** Tunes a run's post-processing on its validation tiles with flip TTA and writes threshold.json. */
export function tuneRun(run: string, model: Module, val: { images: Float32Array; masks: Uint8Array }, c: TrainConfig): Tuned {
  return tuneTo(run, 'threshold.json', predictTiles(model, val.images, { tta: true, device: c.device }), val.masks, c);
}

/** Tunes the run's snapshot ensemble when it saved snapshots besides its best weights; null when it has none. */
export function tuneSnapshots(run: string, val: { images: Float32Array; masks: Uint8Array }, c: TrainConfig): { tuned: Tuned; models: number } | null {
  if (snapshotFiles(run).length === 0) return null;
  const members = loadMembers([{ dir: run, snapshots: true }]);
  try {
    return members.length > 1 ? { tuned: tuneTo(run, SNAPSHOT_TUNING, predictEnsemble(members, val.images, { tta: true }), val.masks, c), models: members.length } : null;
  } finally {
    disposeMembers(members);
  }
}
