// The flags `halite train` and `halite cv` share, and the config they make: a preset, then a JSON
// config file, then flags, each deep-merged over the one before (resolveConfig). Numbers are checked
// as the flags are read (parse.ts); the config's own check (resolveConfig) then checks the combination.
import { Command, Option } from 'commander';
import type { ConfigLayer, TrainConfig } from '../run/config.js';
import { TRAIN_PRECISIONS } from '../torch/dtype.js';
import { existingFolder, listOf, numberIn, positiveNumber, wholeNumber } from './parse.js';

export interface ConfigFlags {
  preset?: string; config?: string; data?: string; model?: string; modelOptions?: string; encoderWeights?: string;
  pseudoLabels?: string; epochs?: number[]; losses?: string; lr?: number; batchSize?: number; val?: number; seed?: number;
  splitSeed?: number; device?: string; precision?: TrainConfig['precision']; runs?: string; name?: string; maxMinutes?: number;
  folds?: number; fold?: number; resume?: string; out?: string;
  /** halite train only. */
  syncBatchnorm?: boolean;
}

export function configOptions(cmd: Command): Command {
  return cmd
    .option('--preset <name>', 'start from a named config (halite presets lists them)')
    .option('--config <file>', 'JSON config (flags override it; it overrides the preset)')
    .option('--data <dir>', 'TGS layout folder', existingFolder)
    .option('--model <name>', 'unet, resunet or encoder-unet')
    .option('--model-options <json>', 'model options as JSON, e.g. {"startFilters":8} or {"encoder":"resnet34","scse":true}')
    .option('--encoder-weights <file>', 'ImageNet weights (safetensors) for an encoder-unet encoder')
    .option('--pseudo-labels <dir>', 'a folder from halite pseudo-label whose tiles join the training set', existingFolder)
    .option('--epochs <list>', 'epochs per phase, e.g. 30,20', listOf(wholeNumber(1)))
    .option('--losses <list>', 'loss per phase, e.g. bce,lovasz')
    .option('--lr <x>', 'learning rate of the first phase', positiveNumber)
    .option('--batch-size <n>', 'batch size', wholeNumber(1))
    .option('--val <fraction>', 'stratified validation fraction', numberIn(0, 1, { lo: true, hi: true }))
    .option('--seed <n>', 'seed for the split, shuffles, augmentations and initialisation', wholeNumber(0))
    .option('--split-seed <n>', 'seed for the split alone (default: --seed), to vary a run on the same validation tiles', wholeNumber(0))
    .option('--device <name>', 'cpu or cuda')
    .addOption(new Option('--precision <p>', 'fp32; bf16 for mixed-precision training (bfloat16 autocast); or auto: bf16 where the CPU has AMX (halite doctor), else fp32').choices(TRAIN_PRECISIONS))
    .option('--runs <dir>', 'folder for run directories')
    .option('--name <name>', 'run directory name')
    .option('--max-minutes <m>', 'stop after the epoch that would otherwise overrun this budget, then tune', positiveNumber);
}

/**
 * The config flags (configOptions' and `extra`) given on `cmd`'s command line, by their long names, in
 * the order `--help` lists them; for refusing the ones that a resume would ignore.
 */
export function givenConfigFlags(cmd: Command, extra: string[] = []): string[] {
  const names = new Set([...configOptions(new Command()).options.map((f) => f.long), ...extra]);
  return cmd.options.filter((f) => names.has(f.long) && cmd.getOptionValueSource(f.attributeName()) === 'cli').map((f) => f.long!);
}

/** The config that the flags make; loads the config module (and libtorch with it). */
export async function configFromFlags(o: ConfigFlags): Promise<TrainConfig> {
  const { readConfigFile, resolveConfig } = await import('../run/config.js');
  const { preset } = await import('../train/presets.js');
  const layers: ConfigLayer[] = [];
  if (o.preset) layers.push(preset(o.preset).config);
  if (o.config) layers.push(readConfigFile(o.config));
  const flags: ConfigLayer = {};
  if (o.data) flags.data = o.data;
  if (o.model) flags.model = o.model;
  if (o.modelOptions) {
    try {
      flags.modelOptions = JSON.parse(o.modelOptions) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`--model-options: not valid JSON: ${(e as Error).message}`);
    }
  }
  if (o.encoderWeights) flags.encoderWeights = o.encoderWeights;
  if (o.pseudoLabels) flags.pseudoLabels = o.pseudoLabels;
  if (o.batchSize !== undefined) flags.batchSize = o.batchSize;
  if (o.val !== undefined) flags.valFraction = o.val;
  if (o.folds !== undefined) { flags.folds = o.folds; flags.fold = o.fold ?? 0; }
  if (o.seed !== undefined) flags.seed = o.seed;
  if (o.splitSeed !== undefined) flags.splitSeed = o.splitSeed;
  if (o.device) flags.device = o.device;
  if (o.precision) flags.precision = o.precision;
  if (o.runs) flags.runsDir = o.runs;
  if (o.name !== undefined) flags.name = o.name; // '' too, so it is refused, not taken for no name
  if (o.maxMinutes !== undefined) flags.maxMinutes = o.maxMinutes;
  if (o.syncBatchnorm) flags.syncBatchNorm = true;
  // With the other flags, so that --model nosuch is named before an --epochs count that would not fit.
  const where = o.config ?? o.preset ?? 'flags';
  const resolve = () => {
    try {
      return resolveConfig([...layers, flags], where);
    } catch (e) {
      throw flagFault(e, where, o);
    }
  };
  const base = resolve();
  if (o.lr !== undefined) flags.optimizer = { lr: o.lr };
  if (o.epochs || o.losses) {
    const epochs = o.epochs ?? base.phases.map((p) => p.epochs);
    const losses = o.losses ? o.losses.split(',') : base.phases.map((p) => p.loss);
    if (epochs.length !== losses.length) {
      const names = base.phases.map((p) => (typeof p.loss === 'string' ? p.loss : p.loss.name)).join(', ');
      throw new Error(o.losses
        ? `--epochs lists ${epochs.length} phase(s) but --losses ${losses.length}; give one epoch count per loss, e.g. --epochs ${losses.map(() => 10).join(',')}`
        : `--epochs lists ${epochs.length} phase(s) but the config has ${losses.length} (${names}); give one count per phase (--epochs ${base.phases.map((p) => p.epochs).join(',')}) or name the losses too (--losses ${names.split(', ').slice(0, epochs.length).join(',')})`);
    }
    flags.phases = losses.map((loss, i) => ({ ...(base.phases[i] ?? {}), loss, epochs: epochs[i]! }));
  }
  return resolve();
}

/** The flag that sets each top-level config field (`halite train --help`). */
const FLAG_OF: Partial<Record<keyof ConfigLayer, [string, keyof ConfigFlags]>> = {
  data: ['--data', 'data'], model: ['--model', 'model'], modelOptions: ['--model-options', 'modelOptions'],
  encoderWeights: ['--encoder-weights', 'encoderWeights'], pseudoLabels: ['--pseudo-labels', 'pseudoLabels'],
  batchSize: ['--batch-size', 'batchSize'], valFraction: ['--val', 'val'], seed: ['--seed', 'seed'], splitSeed: ['--split-seed', 'splitSeed'],
  device: ['--device', 'device'], precision: ['--precision', 'precision'], runsDir: ['--runs', 'runs'], name: ['--name', 'name'],
  maxMinutes: ['--max-minutes', 'maxMinutes'], folds: ['--folds', 'folds'], fold: ['--fold', 'fold'],
};

/**
 * A config fault in a field the user set with a flag, told by that flag (`--losses (loss 3 of bce,lovasz,foo):
 * unknown loss 'foo'`) instead of the merged config's field (`cpu-60min.phases[2].loss`); other errors as they are.
 */
function flagFault(e: unknown, where: string, o: ConfigFlags): unknown {
  const m = e instanceof Error && e.message.startsWith(`${where}.`) ? /^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?(?:\.[\w.[\]]*)?: ([\s\S]*)$/.exec(e.message.slice(where.length + 1)) : null;
  if (!m) return e;
  const [, field, index, sub, what] = m;
  const phase = Number(index) + 1;
  let flag: string | null = null;
  if (field === 'phases' && sub === 'loss' && o.losses) flag = `--losses (loss ${phase} of ${o.losses})`;
  else if (field === 'phases' && sub === 'epochs' && o.epochs) flag = `--epochs (phase ${phase})`;
  else if (field === 'optimizer' && sub === 'lr' && o.lr !== undefined) flag = '--lr';
  else if (index === undefined && sub === undefined) {
    const f = FLAG_OF[field as keyof ConfigLayer];
    if (f && o[f[1]] !== undefined) flag = f[0];
  }
  return flag ? new Error(`${flag}: ${what}`) : e;
}
