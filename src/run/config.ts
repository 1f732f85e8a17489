// A training run's configuration: everything needed to rebuild the model and repeat the run. It is
// read from JSON and/or flags, validated with messages that name the field, and saved in the run.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AugmentSpec } from '../data/augment.js';
import { parseAugmentations, SEED_AUGMENTATIONS } from '../data/augment.js';
import type { LossSpec } from '../losses/losses.js';
import { isPrecision, type Precision } from '../torch/index.js';
import type { HeadWeights } from '../train/objective.js';

export interface PhaseConfig {
  /** A loss name ('bce', 'lovasz', ...) or a loss config. */
  loss: LossSpec | string;
  epochs: number;
  /** The phase starts a fresh optimizer at this learning rate (the write-up's recompile). */
  lr?: number;
  /**
   * Per-batch cosine annealing from the phase's learning rate down to `minLr`, over the phase or over
   * each of `cycles` equal cycles (SGDR warm restarts, whose ends are the snapshot points).
   * ReduceLROnPlateau is off in such a phase.
   */
  schedule?: { name: 'cosine'; minLr?: number; cycles?: number };
  /**
   * Also keep the weights of the phase's last N epochs as snapshots, for a checkpoint ensemble that
   * smooths the epoch-to-epoch swings of a short run at inference cost only.
   */
  snapshots?: number;
}

export interface OptimizerConfig {
  name: 'adam' | 'adamw' | 'sgd' | 'rmsprop';
  lr: number;
  weightDecay?: number;
  momentum?: number;
}

export interface TrainConfig {
  data: string;
  runsDir: string;
  name?: string;
  model: string;
  modelOptions: Record<string, unknown>;
  /** Stratified hold-out fraction, used unless `folds` is set. */
  valFraction: number;
  folds?: number;
  fold?: number;
  seed: number;
  /** Seed of the split alone, so runs can vary initialisation and shuffles on the same validation tiles; defaults to `seed`. */
  splitSeed?: number;
  batchSize: number;
  threads?: number;
  device: string;
  /** fp32, or bf16: training forwards under bfloat16 autocast (validation and prediction stay fp32). */
  precision: Precision;
  optimizer: OptimizerConfig;
  phases: PhaseConfig[];
  augmentations: AugmentSpec[];
  earlyStopping: { patience: number } | null;
  reduceLROnPlateau: { factor: number; patience: number; minLr: number } | null;
  /** Wall-clock budget: training ends after the epoch that would otherwise overrun it. */
  maxMinutes?: number;
  /** Thresholds swept on validation probabilities after training. */
  sweep: { from: number; to: number; steps: number };
  /** ImageNet weights (safetensors from torchvision or pretrainedmodels) for an encoder-unet's encoder. */
  encoderWeights?: string;
  /** Loss weights of the extra heads of models that have them (encoder-unet). */
  heads: HeadWeights;
  /** A folder written by `halite pseudo-label` whose tiles join the training set (never validation). */
  pseudoLabels?: string;
}

/** The write-up's recipe: resunet, BCE with Adam 1e-3, then Lovász (ELU+1) with Adam 5e-4, flips. */
export const DEFAULT_CONFIG: TrainConfig = {
  data: '../shared/tgs',
  runsDir: 'runs',
  model: 'resunet',
  modelOptions: {},
  valFraction: 0.1,
  seed: 0,
  batchSize: 32,
  device: 'cpu',
  precision: 'fp32',
  optimizer: { name: 'adam', lr: 1e-3 },
  phases: [
    { loss: 'bce', epochs: 30 },
    { loss: { name: 'lovasz', activation: 'elu' }, epochs: 20, lr: 5e-4 },
  ],
  augmentations: SEED_AUGMENTATIONS,
  earlyStopping: { patience: 10 },
  reduceLROnPlateau: { factor: 0.5, patience: 5, minLr: 1e-5 },
  sweep: { from: 0.05, to: 0.95, steps: 31 },
  heads: { classifier: 0.1, deepSupervision: 0.1 },
};

export class ConfigError extends Error {
  constructor(where: string, what: string) {
    super(`${where}: ${what}`);
    this.name = 'ConfigError';
  }
}

/** A run directory's config.json, checked as when it was written. */
export function readRunConfig(runDir: string): TrainConfig {
  const path = join(resolve(runDir), 'config.json');
  if (!existsSync(path)) throw new ConfigError(resolve(runDir), 'no config.json; is this a halite run directory?');
  return resolveConfig([readConfigFile(path)], path);
}

export function readConfigFile(path: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Partial<TrainConfig>;
  } catch (e) {
    throw new ConfigError(path, `not valid JSON: ${(e as Error).message}`);
  }
}

/** Defaults, then the file, then flags; checks every field. */
export function resolveConfig(layers: Partial<TrainConfig>[], where = 'config'): TrainConfig {
  const c = Object.assign({}, DEFAULT_CONFIG, ...layers) as TrainConfig;
  const fail = (field: string, what: string): never => { throw new ConfigError(`${where}.${field}`, what); };
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const natural = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (typeof c.data !== 'string' || c.data === '') fail('data', 'must name a TGS layout folder');
  if (!posInt(c.batchSize)) fail('batchSize', `must be a positive integer, got ${JSON.stringify(c.batchSize)}`);
  if (!natural(c.seed)) fail('seed', `must be a non-negative integer, got ${JSON.stringify(c.seed)}`);
  if (c.splitSeed !== undefined && !natural(c.splitSeed)) fail('splitSeed', `must be a non-negative integer, got ${JSON.stringify(c.splitSeed)}`);
  if (c.threads !== undefined && !posInt(c.threads)) fail('threads', 'must be a positive integer');
  if (!isPrecision(c.precision)) fail('precision', `must be fp32 or bf16, got ${JSON.stringify(c.precision)}`);
  if (c.folds !== undefined) {
    if (!(Number.isInteger(c.folds) && c.folds >= 2)) fail('folds', 'must be an integer >= 2');
    if (!(Number.isInteger(c.fold) && c.fold! >= 0 && c.fold! < c.folds!)) fail('fold', `must be in 0..${c.folds! - 1}`);
  } else if (!(c.valFraction > 0 && c.valFraction < 1)) fail('valFraction', `must be in (0, 1), got ${c.valFraction}`);
  if (!['adam', 'adamw', 'sgd', 'rmsprop'].includes(c.optimizer?.name)) fail('optimizer.name', `must be adam, adamw, sgd or rmsprop, got ${JSON.stringify(c.optimizer?.name)}`);
  if (!(c.optimizer.lr > 0)) fail('optimizer.lr', 'must be > 0');
  if (!Array.isArray(c.phases) || c.phases.length === 0) fail('phases', 'must list at least one {loss, epochs}');
  c.phases.forEach((p, i) => {
    if (!posInt(p.epochs)) fail(`phases[${i}].epochs`, 'must be a positive integer');
    if (p.lr !== undefined && !(p.lr > 0)) fail(`phases[${i}].lr`, 'must be > 0');
    if (p.schedule !== undefined) {
      const s = p.schedule;
      if (s?.name !== 'cosine') fail(`phases[${i}].schedule.name`, `must be "cosine", got ${JSON.stringify(s?.name)}`);
      if (s.minLr !== undefined && !(s.minLr >= 0)) fail(`phases[${i}].schedule.minLr`, 'must be >= 0');
      const cycles = s.cycles ?? 1;
      if (!(posInt(cycles) && p.epochs % cycles === 0)) fail(`phases[${i}].schedule.cycles`, `must be a positive integer dividing the phase's ${p.epochs} epochs`);
    }
    if (p.snapshots !== undefined && !(Number.isInteger(p.snapshots) && p.snapshots >= 0 && p.snapshots <= p.epochs)) {
      fail(`phases[${i}].snapshots`, `must be an integer from 0 to the phase's ${p.epochs} epochs, got ${JSON.stringify(p.snapshots)}`);
    }
  });
  c.augmentations = parseAugmentations(c.augmentations, `${where}.augmentations`);
  if (c.maxMinutes !== undefined && !(c.maxMinutes > 0)) fail('maxMinutes', 'must be > 0');
  if (!(c.heads?.classifier >= 0 && c.heads?.deepSupervision >= 0)) fail('heads', 'needs classifier >= 0 and deepSupervision >= 0');
  for (const f of ['encoderWeights', 'pseudoLabels'] as const) {
    if (c[f] !== undefined && (typeof c[f] !== 'string' || !existsSync(c[f]!))) fail(f, `${JSON.stringify(c[f])} not found`);
  }
  if (!(c.sweep.steps >= 1 && c.sweep.to >= c.sweep.from)) fail('sweep', 'needs from <= to and steps >= 1');
  return c;
}
