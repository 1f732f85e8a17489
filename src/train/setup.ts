// Everything a training run needs before its first batch: the config (new, or a resumed run's), the
// run directory and its lock, the data and split, the loader, the model and optimizer, and the
// checkpoint to resume from. The order matters: the generator is seeded before the model is built.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { concatTyped } from '../data/arrays.js';
import { DistributedSampler } from '../data/distributed-sampler.js';
import { BatchLoader } from '../data/loader.js';
import { readPseudoLabels } from '../data/pseudo.js';
import { PIXELS, TILE } from '../data/rle.js';
import { splitIndices, validationTiles } from '../data/split.js';
import { readTgs } from '../data/tgs.js';
import { writeFileAtomic } from '../io/atomic.js';
import { EncoderUNet } from '../models/encoder-unet.js';
import { ResUNet } from '../models/resunet.js';
import { loadEncoderWeights } from '../models/encoders/index.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import type { OptimizerLike } from '../optim/optimizer.js';
import { hasCheckpoint, loadCheckpoint } from '../run/checkpoint.js';
import { checkTrainingInputs, ConfigError, readRunConfig, type TrainConfig } from '../run/config.js';
import { haliteProgram, RUN_FILES, resumeCommand, runPath } from '../run/layout.js';
import { readStatus } from '../run/status.js';
import { quote } from 'shell-quote';
import { RunLock } from '../run/lock.js';
import { autoPrecision, BF16_ADVICE, BLAS_ADVICE, blasInUse, cudaIsAvailable, manualSeed, nativeBf16, setNumThreads, type Precision } from '../torch/index.js';
import { TrainingError } from './callbacks/callback.js';
import { makeOptimizer } from './optimizers.js';
import { makeFolders } from '../io/folders.js';

export interface RunSetup {
  run: string;
  /** The run's config, its precision picked for this machine when it said auto. */
  config: TrainConfig & { precision: Precision };
  /** Held by the process that writes the run (null on data-parallel ranks other than 0). */
  lock: RunLock | null;
  loader: BatchLoader;
  val: { images: Float32Array; masks: Uint8Array };
  model: Module;
  optimizer: OptimizerLike;
  /** The resumed checkpoint's state JSON (model, optimizer and generator are already restored), or null for a new run. */
  saved: unknown;
}

/**
 * Prepares a new run (a TrainConfig) or a resumed one (`{resume: dir}`), holding the run's lock.
 * Throws TrainingError for a run that exists already or has no checkpoint to resume, RunLockedError
 * when another trainer holds it, ConfigError and DataError for bad config or data.
 * With `worldSize` > 1 (data-parallel training) the loader deals this `rank`'s shard of each epoch
 * (DistributedSampler), and only the `writer` (rank 0) creates, locks and writes the run directory.
 */
export async function setupRun(configOrRun: TrainConfig | { resume: string }, log: (line: string) => void,
  o: { writer?: boolean; rank?: number; worldSize?: number } = {}): Promise<RunSetup> {
  const writer = o.writer ?? true, worldSize = o.worldSize ?? 1;
  const resuming = 'resume' in configOrRun;
  let c: TrainConfig, run: string, lock: RunLock | null = null, model: Module | null = null;
  if (resuming) {
    run = resolve(configOrRun.resume);
    c = readRunConfig(run);
    checkTrainingInputs(c, runPath(run, 'config'), { resuming: true });
    if (writer) lock = RunLock.acquire(run, log);
  } else {
    // The data folder is kept absolute so the run can be predicted from anywhere.
    c = { ...configOrRun, data: resolve(configOrRun.data) };
    for (const f of ['encoderWeights', 'pseudoLabels'] as const) if (c[f] !== undefined) c[f] = resolve(c[f]!);
    checkTrainingInputs(c, 'config');
    c.name ??= `${c.model}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
    run = resolve(c.runsDir, c.name);
    if (writer && existsSync(runPath(run, 'config'))) {
      // A finished run has nothing to resume: the resume command would only say so.
      const finished = ['finished', 'time'].includes(readStatus(run)?.state ?? '');
      throw new TrainingError(finished ? `${run} already holds a finished run; pick another --name (or tune it again with ${haliteProgram()} tune --run ${quote([run])})`
        : `${run} already holds a run; continue it with ${resumeCommand(run)}, or pick another --name`);
    }
  }
  try {
    // Before the run folder is made: a CUDA run on a libtorch without CUDA would fail at its first tensor and leave a folder behind.
    if (c.device !== 'cpu' && !cudaIsAvailable()) {
      const none = `this libtorch sees no CUDA device (halite doctor lists them)`;
      throw resuming ? new ConfigError(`${runPath(run, 'config')}.device`, `is ${c.device}, but ${none}: set "device": "cpu" in that file to continue on this machine's CPU`)
        : new TrainingError(`device ${c.device}: ${none}; train with --device cpu, or set LIBTORCH to a CUDA build of libtorch on a machine with a GPU`);
    }
    if (resuming && !hasCheckpoint(run)) throw new TrainingError(`${run}: no ${RUN_FILES.checkpoint} to resume from (the run stopped before its first epoch ended, or is not a halite train run); start it again with the same flags and another --name, or delete the folder`);
    if (c.threads) setNumThreads(c.threads);
    manualSeed(c.seed);
    const blas = blasInUse();
    if (c.device === 'cpu' && blas.slow) log(`warning: ${BLAS_ADVICE} (loaded: ${blas.path})`);
    // Picked before config.json is written, so the run keeps what it trained in and a resume elsewhere continues it.
    let precision: Precision;
    if (c.precision === 'auto') {
      const pick = autoPrecision(c.device);
      log(`precision auto: ${pick.precision}, ${pick.why}`);
      precision = pick.precision;
    } else precision = c.precision;
    c = { ...c, precision };
    if (c.device === 'cpu' && precision === 'bf16' && nativeBf16().length === 0) log(`warning: ${BF16_ADVICE}`);

    const data = await readTgs(c.data, { test: false });
    const trIdx = splitIndices(data, c).train;
    const { images, masks } = validationTiles(data, c);
    // The metric scores an empty truth 1 for an empty prediction, so salt-free validation rewards finding nothing.
    if (masks.length > 0 && masks.every((v) => v === 0)) log(`warning: none of the ${masks.length / PIXELS} validation tiles holds salt, so validation mAP only scores whether the model predicts nothing (1.0 for one that never finds salt); validate on tiles with salt: cut them again with halite tiles and a --val-inlines block that crosses salt`);
    let source = { images: data.train.images, masks: data.train.masks, height: 101, width: 101 };
    if (c.pseudoLabels) {
      // Pseudo-labelled tiles are appended after the labelled ones and only ever trained on.
      const p = await readPseudoLabels(c.pseudoLabels);
      const n = data.train.ids.length;
      source = { ...source, images: concatTyped([data.train.images, p.images]), masks: concatTyped([data.train.masks, p.masks]) };
      trIdx.push(...p.ids.map((_, k) => n + k));
      log(`pseudo-labels: ${p.ids.length} tiles from ${c.pseudoLabels} join the ${n - images.length / PIXELS} training tiles`);
    }
    // Each rank takes a disjoint shard of the epoch's seeded permutation, as PyTorch's DistributedSampler.
    const sampler = worldSize > 1 ? new DistributedSampler(trIdx, { numReplicas: worldSize, rank: o.rank ?? 0, seed: c.seed, shuffle: true }) : undefined;
    const loader = new BatchLoader(source, trIdx, { batchSize: c.batchSize, seed: c.seed, shuffle: true, ...(sampler ? { sampler } : {}) });

    // Built before the run folder exists, so a model option value the config checks let through (one
    // a model checks only when built) leaves no half-made run behind; it still draws its initial weights right after the loader.
    // Errors name the run's config file on a resume, the config being built otherwise.
    const configName = resuming ? runPath(run, 'config') : 'config';
    try {
      model = createModel(c.model, c.modelOptions);
    } catch (e) {
      throw new ConfigError(`${configName}.modelOptions`, `${(e as Error).message} (model ${c.model}, options ${JSON.stringify(c.modelOptions)})`);
    }
    // A phase on crops needs a network that takes them; said now, not when the phase starts.
    c.phases.forEach((p, i) => {
      if (p.crop === undefined) return;
      if (!(model instanceof ResUNet)) throw new ConfigError(`${configName}.phases[${i}].crop`, `crops need a network that works at the tiles' own resolution (resunet); ${c.model} resizes or pads its input, so a crop saves no time: remove crop`);
      try {
        if (p.crop > TILE) throw new Error(`a crop of side ${p.crop} does not fit the ${TILE}x${TILE} tiles: choose a smaller one`);
        model.checkSide(p.crop);
      } catch (e) {
        throw new ConfigError(`${configName}.phases[${i}].crop`, (e as Error).message);
      }
    });
    if (!resuming && writer) {
      makeFolders(run);
      lock = RunLock.acquire(run, log);
      writeFileAtomic(runPath(run, 'config'), JSON.stringify(c, null, 2) + '\n');
    }
    if (c.encoderWeights && !resuming) {
      if (!(model instanceof EncoderUNet)) throw new TrainingError(`encoderWeights is for encoder-unet models; ${c.model} has no encoder`);
      const { skipped } = loadEncoderWeights(model.encoder, c.encoderWeights);
      log(`encoder weights: ${c.encoderWeights}${skipped.length ? ` (not loaded: ${skipped.join(', ')})` : ''}`);
    }
    if (c.device !== 'cpu') model.to({ device: c.device as 'cuda' });
    const optimizer = makeOptimizer(model, c.optimizer, c.phases[0]!.lr ?? c.optimizer.lr);
    // The checkpoint restores the optimizer's moments and hyperparameters (its phase's learning rate).
    const saved = resuming ? loadCheckpoint(run, model, optimizer) : null;
    return { run, config: { ...c, precision }, lock, loader, val: { images, masks }, model, optimizer, saved };
  } catch (e) {
    lock?.release();
    model?.dispose();
    throw e;
  }
}
