// The flags `halite train` and `halite cv` share, and the config they make: a preset, then a JSON
// config file, then flags, each overriding the one before.
import type { Command } from 'commander';
import { readConfigFile, resolveConfig, type TrainConfig } from '../train/config.js';
import { preset } from '../train/presets.js';

export type ConfigFlags = Record<string, string | undefined>;

export function configOptions(cmd: Command): Command {
  return cmd
    .option('--preset <name>', 'start from a named config (halite presets lists them)')
    .option('--config <file>', 'JSON config (flags override it; it overrides the preset)')
    .option('--data <dir>', 'TGS layout folder')
    .option('--model <name>', 'unet, resunet or encoder-unet')
    .option('--model-options <json>', 'model options as JSON, e.g. {"startFilters":8} or {"encoder":"resnet34","scse":true}')
    .option('--encoder-weights <file>', 'ImageNet weights (safetensors) for an encoder-unet encoder')
    .option('--pseudo-labels <dir>', 'a folder from halite pseudo-label whose tiles join the training set')
    .option('--epochs <list>', 'epochs per phase, e.g. 30,20')
    .option('--losses <list>', 'loss per phase, e.g. bce,lovasz')
    .option('--lr <x>', 'learning rate of the first phase')
    .option('--batch-size <n>', 'batch size')
    .option('--val <fraction>', 'stratified validation fraction')
    .option('--seed <n>', 'seed for the split, shuffles, augmentations and initialisation')
    .option('--split-seed <n>', 'seed for the split alone (default: --seed), to vary a run on the same validation tiles')
    .option('--device <name>', 'cpu or cuda')
    .option('--precision <p>', 'fp32, or bf16 for mixed-precision training (bfloat16 autocast)')
    .option('--runs <dir>', 'folder for run directories')
    .option('--name <name>', 'run directory name')
    .option('--max-minutes <m>', 'stop after the epoch that would otherwise overrun this budget, then tune');
}

export function configFromFlags(o: ConfigFlags): TrainConfig {
  const layers: Partial<TrainConfig>[] = [];
  if (o.preset) layers.push(preset(o.preset).config);
  if (o.config) layers.push(readConfigFile(o.config));
  const flags: Partial<TrainConfig> = {};
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
  if (o.batchSize) flags.batchSize = Number(o.batchSize);
  if (o.val) flags.valFraction = Number(o.val);
  if (o.folds) { flags.folds = Number(o.folds); flags.fold = Number(o.fold ?? 0); }
  if (o.seed) flags.seed = Number(o.seed);
  if (o.splitSeed) flags.splitSeed = Number(o.splitSeed);
  if (o.device) flags.device = o.device;
  if (o.precision) flags.precision = o.precision as TrainConfig['precision'];
  if (o.runs) flags.runsDir = o.runs;
  if (o.name) flags.name = o.name;
  if (o.maxMinutes) flags.maxMinutes = Number(o.maxMinutes);
  const base = resolveConfig(layers, o.config ?? o.preset ?? 'config');
  if (o.lr) flags.optimizer = { ...base.optimizer, lr: Number(o.lr) };
  if (o.epochs || o.losses) {
    const epochs = (o.epochs ?? base.phases.map((p) => p.epochs).join(',')).split(',').map(Number);
    const losses = o.losses ? o.losses.split(',') : base.phases.map((p) => p.loss);
    if (epochs.length !== losses.length) throw new Error(`--epochs lists ${epochs.length} phases but --losses ${losses.length}`);
    flags.phases = losses.map((loss, i) => ({ ...(base.phases[i] ?? {}), loss, epochs: epochs[i]! }));
  }
  return resolveConfig([...layers, flags], o.config ?? o.preset ?? 'flags');
}
