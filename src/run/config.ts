// A training run's configuration: everything needed to rebuild the model and repeat the run. It is
// read from JSON and/or flags, validated with messages that name the field, and saved in the run.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AugmentSpec } from '../data/augment.js';
import { parseAugmentations, SEED_AUGMENTATIONS } from '../data/augment.js';
import { checkLossSpec, type LossSpec } from '../losses/losses.js';
import { checkModelOptions } from '../models/registry.js';
import { runPath } from './layout.js';
import { TRAIN_PRECISIONS, type TrainPrecision } from '../torch/dtype.js';
import { readReason } from '../io/errno.js';

/** Loss weights of the extra heads of multi-head models (encoder-unet). */
export interface HeadWeights {
  /** Weight of the classifier's BCE (the second write-up's 1:10 against the mask loss is 0.1). */
  classifier: number;
  /** Total weight of the auxiliary mask losses, shared equally among them. */
  deepSupervision: number;
}

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
  /**
   * Train the phase on random square crops of this side (pixels) instead of whole tiles: an epoch
   * costs about (crop / tile)² of one on whole tiles, with features at the tiles' own scale
   * (progressive resizing, done by cropping). Validation and prediction use whole tiles. resunet
   * only, at sides it accepts (101 − 16k at depth 4: 85, 69, 53).
   */
  crop?: number;
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
  /**
   * fp32, or bf16: training forwards under bfloat16 autocast (validation and prediction stay fp32); auto
   * picks one for the machine when the run starts (autoPrecision), and the run's config.json keeps the pick.
   */
  precision: TrainPrecision;
  optimizer: OptimizerConfig;
  phases: PhaseConfig[];
  augmentations: AugmentSpec[];
  earlyStopping: { patience: number } | null;
  reduceLROnPlateau: { factor: number; patience: number; minLr: number } | null;
  /** Wall-clock budget: training ends after the epoch that would otherwise overrun it. */
  maxMinutes?: number;
  /**
   * What `maxMinutes` does. "cut" (the default): the phases run their configured epochs and training
   * stops before an epoch that would overrun the budget. "shape": the phases and their cosine cycles
   * are laid out on the budget instead (each phase's share of it is its share of the configured
   * epochs), so each ends annealed at its minLr after as many epochs as the machine fits; the epoch
   * counts then give proportions, and `snapshots` counts the phase's last planned epochs.
   */
  budget?: 'cut' | 'shape';
  /**
   * Validation on a schedule, so that it does not eat a short budget: every `every`-th epoch (default
   * 1), every epoch in the last `everyEpochInLast` fraction of the run (of maxMinutes when set, else of
   * the configured epochs), and always at a phase's end. Skipped epochs have null validation scores
   * in history.jsonl; best weights, early stopping and plateau act on validated epochs only.
   */
  validation?: { every?: number; everyEpochInLast?: number };
  /**
   * An exponential moving average of the weights, updated after every optimizer step with this decay
   * (timm's ModelEmaV2: parameters and BatchNorm statistics alike). Validation, the best checkpoint,
   * snapshots and tuning use the average; training continues on the raw weights. null (over a preset's) turns it off.
   */
  ema?: { decay: number } | null;
  /** Thresholds swept on validation probabilities after training. */
  sweep: { from: number; to: number; steps: number };
  /** ImageNet weights (safetensors from torchvision or pretrainedmodels) for an encoder-unet's encoder. */
  encoderWeights?: string;
  /** Loss weights of the extra heads of models that have them (encoder-unet). */
  heads: HeadWeights;
  /** A folder written by `halite pseudo-label` whose tiles join the training set (never validation). */
  pseudoLabels?: string;
  /**
   * Data-parallel training only: BatchNorm layers take their training statistics over the global
   * batch (every process's tiles), as torch.nn.SyncBatchNorm, instead of each process's own (DDP's
   * default). With one process it changes nothing. Default false.
   */
  syncBatchNorm?: boolean;
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
  /** `where` names the file and field (`config.json.phases[1].loss`); `what` says what is wrong and how to fix it. */
  constructor(where: string, what?: string) {
    super(what === undefined ? where : `${where}: ${what}`);
    this.name = 'ConfigError';
  }
}

/**
 * One layer of a config (a preset, a JSON file, the flags): any field, and any part of a nested
 * object, may be left out; `resolveConfig` merges the layers over DEFAULT_CONFIG.
 */
export type ConfigLayer = Partial<Omit<TrainConfig, 'optimizer' | 'heads' | 'sweep'>> & {
  optimizer?: Partial<OptimizerConfig>;
  heads?: Partial<HeadWeights>;
  sweep?: Partial<TrainConfig['sweep']>;
};

// Every field TrainConfig has (the compiler checks the list is complete), so a misspelt key in a file
// (`batchsize`) is an error rather than silently ignored; old runs' config.json files hold only these.
const FIELDS: Record<keyof TrainConfig, true> = {
  data: true, runsDir: true, name: true, model: true, modelOptions: true, valFraction: true, folds: true, fold: true, seed: true,
  splitSeed: true, batchSize: true, threads: true, device: true, precision: true, optimizer: true, phases: true, augmentations: true,
  earlyStopping: true, reduceLROnPlateau: true, maxMinutes: true, budget: true, validation: true, ema: true, sweep: true, encoderWeights: true, heads: true, pseudoLabels: true,
  syncBatchNorm: true,
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep merge of config layers, later ones winning. Plain objects merge key by key, so a file with
 * `optimizer: {lr}` keeps the preset's optimizer name and an `{"scse": true}` keeps its encoder. Arrays
 * and `null` replace whole: a phase list or an augmentation list is one value (merging phase 1 of a
 * file into phase 1 of a preset would make a recipe nobody wrote), and `null` switches a behaviour off.
 * `undefined` leaves the value below. A layer that names another model or optimizer than the one below
 * starts its options afresh: the options of one model mean nothing to another.
 */
export function mergeConfig(base: TrainConfig, ...layers: ConfigLayer[]): TrainConfig {
  let c = base as unknown as Record<string, unknown>;
  for (const layer of layers) {
    const l = layer as Record<string, unknown>;
    const below = c as unknown as TrainConfig;
    c = mergeObjects(c, l);
    if (l.model !== undefined && l.model !== below.model) c.modelOptions = l.modelOptions ?? {};
    // The learning rate means the same to every optimizer; momentum and weight decay do not (adamw's is decoupled).
    const o = l.optimizer as Partial<OptimizerConfig> | undefined;
    if (isPlainObject(o) && o.name !== undefined && o.name !== below.optimizer?.name) c.optimizer = { lr: below.optimizer?.lr, ...o };
  }
  return c as unknown as TrainConfig;
}

function mergeObjects(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const value = isPlainObject(v) && isPlainObject(a[k]) ? mergeObjects(a[k] as Record<string, unknown>, v) : v;
    // Defined, not assigned: a JSON key "__proto__" stays an own key, which the unknown-key checks then name.
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * A run directory's config.json, checked structurally as when it was written. Training inputs
 * (encoder weights, pseudo-labels, the data folder) are not required to still exist: predicting,
 * reporting and serving a finished run need none of them (see checkTrainingInputs).
 * @throws ConfigError naming config.json and the field
 */
export function readRunConfig(runDir: string): TrainConfig {
  const path = runPath(resolve(runDir), 'config');
  if (!existsSync(path)) throw new ConfigError(resolve(runDir), 'no config.json; is this a halite run directory?');
  return resolveConfig([readConfigFile(path)], path);
}

/** A JSON config file as written, not yet merged or checked. @throws ConfigError naming the file */
export function readConfigFile(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, `cannot read: ${readReason(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(path, `must hold a JSON object of config fields, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  return parsed as ConfigLayer;
}

/**
 * Defaults, then each layer (preset, file, flags) deep-merged (mergeConfig); then every field is
 * checked, so a bad option fails here rather than hours into a run: unknown keys, the model name and
 * its option keys, the optimizer, each phase's loss and schedule, augmentations, plateau LR, early
 * stopping, the sweep. Files and folders are not looked for here (checkTrainingInputs does that).
 * @param where names the source in errors (a file path, a preset name, 'flags')
 * @throws ConfigError `${where}.${field}: what is wrong`
 */
export function resolveConfig(layers: ConfigLayer[], where = 'config'): TrainConfig {
  const fail = (field: string, what: string): never => { throw new ConfigError(`${where}.${field}`, what); };
  layers.forEach((l) => {
    if (!isPlainObject(l)) throw new ConfigError(where, `a config must be a JSON object, got ${JSON.stringify(l)}`);
    for (const k of Object.keys(l)) {
      if (Object.hasOwn(FIELDS, k)) continue;
      const near = Object.keys(FIELDS).find((f) => f.toLowerCase() === k.toLowerCase());
      fail(k, `unknown field${near ? `; did you mean ${near}?` : ''} (known: ${Object.keys(FIELDS).join(', ')})`);
    }
  });
  const c = mergeConfig(DEFAULT_CONFIG, ...layers);
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const natural = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const got = (v: unknown) => `got ${JSON.stringify(v)}`;
  /** Unknown keys inside a nested object: the same typo check as at the top. */
  const onlyKeys = (field: string, v: unknown, keys: string[]) => {
    if (!isPlainObject(v)) fail(field, `must be an object with ${keys.join(', ')}, ${got(v)}`);
    for (const k of Object.keys(v as object)) if (!keys.includes(k)) fail(`${field}.${k}`, `unknown field (known: ${keys.join(', ')})`);
  };
  /** Runs a lower layer's check (the model registry), its message prefixed with the field. */
  const guard = (field: string, check: () => void) => {
    try {
      check();
    } catch (e) {
      fail(field, (e as Error).message);
    }
  };

  if (typeof c.data !== 'string' || c.data === '') fail('data', 'must name a TGS layout folder');
  if (typeof c.runsDir !== 'string' || c.runsDir === '') fail('runsDir', 'must name a folder for run directories');
  if (c.name !== undefined && (typeof c.name !== 'string' || c.name === '')) fail('name', `must be a non-empty string, ${got(c.name)}`);
  // A name is one folder inside runsDir: "../x" or "a/b" would write the run somewhere --runs does not say.
  if (c.name !== undefined && (/[/\\]/.test(c.name) || c.name === '.' || c.name === '..')) {
    fail('name', `must be one folder name, without / or \\ and not . or .., ${got(c.name)}: put the folder part in the runs folder (--runs, or "runsDir" in a config file)`);
  }
  if (typeof c.model !== 'string') fail('model', `must be a model name, ${got(c.model)}`);
  if (!isPlainObject(c.modelOptions)) fail('modelOptions', `must be an object, ${got(c.modelOptions)}`);
  // The registry's names and option keys only: building an encoder-unet to check it would allocate its weights.
  guard('model', () => checkModelOptions(c.model));
  guard('modelOptions', () => checkModelOptions(c.model, c.modelOptions));
  if (!posInt(c.batchSize)) fail('batchSize', `must be a positive integer, ${got(c.batchSize)}`);
  if (!natural(c.seed)) fail('seed', `must be a non-negative integer, ${got(c.seed)}`);
  if (c.splitSeed !== undefined && !natural(c.splitSeed)) fail('splitSeed', `must be a non-negative integer, ${got(c.splitSeed)}`);
  if (c.threads !== undefined && !posInt(c.threads)) fail('threads', 'must be a positive integer');
  if (typeof c.device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(c.device)) fail('device', `must be cpu, cuda or cuda:N, ${got(c.device)}`);
  if (!TRAIN_PRECISIONS.includes(c.precision)) fail('precision', `must be fp32, bf16 or auto, ${got(c.precision)}`);
  if (c.folds !== undefined) {
    if (!(Number.isInteger(c.folds) && c.folds >= 2)) fail('folds', 'must be an integer >= 2');
    if (!(Number.isInteger(c.fold) && c.fold! >= 0 && c.fold! < c.folds!)) fail('fold', `must be in 0..${c.folds! - 1}`);
  } else if (!(c.valFraction > 0 && c.valFraction < 1)) fail('valFraction', `must be in (0, 1), got ${c.valFraction}`);

  onlyKeys('optimizer', c.optimizer, ['name', 'lr', 'weightDecay', 'momentum']);
  if (!['adam', 'adamw', 'sgd', 'rmsprop'].includes(c.optimizer.name)) fail('optimizer.name', `must be adam, adamw, sgd or rmsprop, ${got(c.optimizer.name)}`);
  if (!(num(c.optimizer.lr) && c.optimizer.lr > 0)) fail('optimizer.lr', `must be > 0, ${got(c.optimizer.lr)}`);
  if (c.optimizer.weightDecay !== undefined && !(num(c.optimizer.weightDecay) && c.optimizer.weightDecay >= 0)) fail('optimizer.weightDecay', `must be >= 0, ${got(c.optimizer.weightDecay)}`);
  if (c.optimizer.momentum !== undefined && !(num(c.optimizer.momentum) && c.optimizer.momentum >= 0 && c.optimizer.momentum < 1)) fail('optimizer.momentum', `must be in [0, 1), ${got(c.optimizer.momentum)}`);

  if (!Array.isArray(c.phases) || c.phases.length === 0) fail('phases', 'must list at least one {loss, epochs}');
  c.phases.forEach((p, i) => {
    onlyKeys(`phases[${i}]`, p, ['loss', 'epochs', 'lr', 'schedule', 'snapshots', 'crop']);
    if (p.loss === undefined) fail(`phases[${i}].loss`, 'is missing: name a loss, e.g. "bce" or {"name": "lovasz", "activation": "elu"}');
    // Every phase's loss now, not when the phase starts (possibly hours in).
    try {
      checkLossSpec(p.loss, `${where}.phases[${i}].loss`);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
    if (!posInt(p.epochs)) fail(`phases[${i}].epochs`, `must be a positive integer, ${got(p.epochs)}`);
    if (p.lr !== undefined && !(num(p.lr) && p.lr > 0)) fail(`phases[${i}].lr`, `must be a number > 0, got ${JSON.stringify(p.lr)}`);
    if (p.schedule !== undefined) {
      const s = p.schedule;
      onlyKeys(`phases[${i}].schedule`, s, ['name', 'minLr', 'cycles']);
      if (s.name !== 'cosine') fail(`phases[${i}].schedule.name`, `must be "cosine", ${got(s.name)}`);
      if (s.minLr !== undefined && !(num(s.minLr) && s.minLr >= 0)) fail(`phases[${i}].schedule.minLr`, 'must be >= 0');
      const cycles = s.cycles ?? 1;
      if (!(posInt(cycles) && p.epochs % cycles === 0)) fail(`phases[${i}].schedule.cycles`, `must be a positive integer dividing the phase's ${p.epochs} epochs`);
    }
    if (p.crop !== undefined && !(posInt(p.crop) && p.crop >= 8)) fail(`phases[${i}].crop`, `must be a whole number of pixels >= 8 (the side of the square crops), or left out for whole tiles; ${got(p.crop)}`);
    if (p.snapshots !== undefined && !(Number.isInteger(p.snapshots) && p.snapshots >= 0 && p.snapshots <= p.epochs)) {
      fail(`phases[${i}].snapshots`, `must be an integer from 0 to the phase's ${p.epochs} epochs, ${got(p.snapshots)}`);
    }
  });
  c.augmentations = parseAugmentations(c.augmentations, `${where}.augmentations`);
  if (c.earlyStopping !== null) {
    onlyKeys('earlyStopping', c.earlyStopping, ['patience']);
    if (!posInt(c.earlyStopping.patience)) fail('earlyStopping.patience', `must be a positive integer (epochs), or set earlyStopping to null; ${got(c.earlyStopping.patience)}`);
  }
  if (c.reduceLROnPlateau !== null) {
    const r = c.reduceLROnPlateau;
    onlyKeys('reduceLROnPlateau', r, ['factor', 'patience', 'minLr']);
    if (!(num(r.factor) && r.factor > 0 && r.factor < 1)) fail('reduceLROnPlateau.factor', `must be in (0, 1), ${got(r.factor)}`);
    if (!natural(r.patience)) fail('reduceLROnPlateau.patience', `must be a non-negative integer (epochs), ${got(r.patience)}`);
    if (!(num(r.minLr) && r.minLr >= 0)) fail('reduceLROnPlateau.minLr', `must be >= 0, ${got(r.minLr)}`);
  }
  if (c.maxMinutes !== undefined && !(num(c.maxMinutes) && c.maxMinutes > 0)) fail('maxMinutes', `must be a number > 0, got ${JSON.stringify(c.maxMinutes)}`);
  if (c.budget !== undefined && c.budget !== 'cut' && c.budget !== 'shape') fail('budget', `must be "cut" (stop before an epoch that would overrun maxMinutes) or "shape" (lay the phases out on maxMinutes), ${got(c.budget)}`);
  if (c.validation !== undefined) {
    onlyKeys('validation', c.validation, ['every', 'everyEpochInLast']);
    if (c.validation.every !== undefined && !posInt(c.validation.every)) fail('validation.every', `must be a positive integer (validate every N-th epoch), ${got(c.validation.every)}`);
    const f = c.validation.everyEpochInLast;
    if (f !== undefined && !(num(f) && f >= 0 && f <= 1)) fail('validation.everyEpochInLast', `must be a fraction of the run from 0 to 1, ${got(f)}`);
  }
  if (c.ema !== undefined && c.ema !== null) {
    onlyKeys('ema', c.ema, ['decay']);
    if (!(num(c.ema.decay) && c.ema.decay > 0 && c.ema.decay < 1)) fail('ema.decay', `must be in (0, 1), e.g. 0.999 (the average's weight kept per step), or set ema to null; ${got(c.ema.decay)}`);
  }
  if (c.budget === 'shape' && c.maxMinutes === undefined) fail('budget', '"shape" lays the phases out on the time budget: set maxMinutes too');
  onlyKeys('heads', c.heads, ['classifier', 'deepSupervision']);
  if (!(c.heads.classifier >= 0 && c.heads.deepSupervision >= 0)) fail('heads', 'needs classifier >= 0 and deepSupervision >= 0');
  for (const f of ['encoderWeights', 'pseudoLabels'] as const) {
    if (c[f] !== undefined && (typeof c[f] !== 'string' || c[f] === '')) fail(f, `must be a path, ${got(c[f])}`);
  }
  if (c.syncBatchNorm !== undefined && typeof c.syncBatchNorm !== 'boolean') fail('syncBatchNorm', `must be true or false, ${got(c.syncBatchNorm)}`);
  onlyKeys('sweep', c.sweep, ['from', 'to', 'steps']);
  const { from, to, steps } = c.sweep;
  if (!(num(from) && num(to) && from >= 0 && to <= 1 && to >= from)) fail('sweep', `needs 0 <= from <= to <= 1, got from ${JSON.stringify(from)}, to ${JSON.stringify(to)}`);
  if (!posInt(steps)) fail('sweep.steps', `must be a positive integer, ${got(steps)}`);
  return c;
}

/**
 * The training inputs a config names still exist: the data folder, the pseudo-label folder, and the
 * encoder weights. Called only where a training starts or resumes; reading a finished run never
 * needs them. A resume does not need the encoder weights: its checkpoint already holds them.
 * @param where the config's source in errors (the run's config.json on a resume)
 * @throws ConfigError naming the field, the missing path, and what to do
 */
export function checkTrainingInputs(c: TrainConfig, where: string, o: { resuming?: boolean } = {}): void {
  const missing = (field: string, path: string, kind: string): never => {
    throw new ConfigError(`${where}.${field}`, o.resuming
      ? `${kind} ${path} not found; resuming this run needs it (put it back there, or set ${field} in the run's config.json to where it is now)`
      : `${kind} ${path} not found; training needs it (check the path)`);
  };
  if (!existsSync(c.data)) missing('data', c.data, 'data folder');
  if (c.pseudoLabels !== undefined && !existsSync(c.pseudoLabels)) missing('pseudoLabels', c.pseudoLabels, 'pseudo-label folder');
  if (c.encoderWeights !== undefined && !o.resuming && !existsSync(c.encoderWeights)) missing('encoderWeights', c.encoderWeights, 'encoder weights file');
}

/**
 * Why a run's validation tiles cannot be read: its data folder is no longer there (renamed or
 * deleted); null while it is. Predicting new images, serving and reporting the rest need no data.
 */
export function runDataGone(c: TrainConfig): string | null {
  return existsSync(c.data) ? null : `the run's data folder ${c.data} is gone (renamed or deleted)`;
}

/**
 * The run's data folder, for what scores its validation tiles (tune, predict --val, serve's
 * Predictions page). @param fix how the caller's user points it at the folder's new place
 * @throws ConfigError when the folder is gone, naming it and the fix
 */
export function runDataFolder(c: TrainConfig, fix: string): string {
  const gone = runDataGone(c);
  if (gone) throw new ConfigError(`${gone}; the run's validation tiles come from it: ${fix}`);
  return c.data;
}
