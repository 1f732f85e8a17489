// `halite train`: train a model from a JSON config and/or flags into a run directory.
import type { Command } from 'commander';
import { readConfigFile, resolveConfig, type TrainConfig } from '../train/config.js';
import { train } from '../train/trainer.js';

export function register(program: Command): void {
  program
    .command('train')
    .description('train a segmentation model; writes config.json, history.jsonl, best.safetensors, last.ckpt.safetensors and threshold.json to a run directory')
    .option('--config <file>', 'JSON config (flags override it)')
    .option('--data <dir>', 'TGS layout folder')
    .option('--model <name>', 'unet or resunet')
    .option('--model-options <json>', 'model options as JSON, e.g. {"startFilters":8}')
    .option('--epochs <list>', 'epochs per phase, e.g. 30,20')
    .option('--losses <list>', 'loss per phase, e.g. bce,lovasz')
    .option('--lr <x>', 'learning rate of the first phase')
    .option('--batch-size <n>', 'batch size')
    .option('--val <fraction>', 'stratified validation fraction')
    .option('--folds <k>', 'stratified k-fold instead of a hold-out split')
    .option('--fold <i>', 'which fold validates (with --folds)')
    .option('--seed <n>', 'seed for the split, shuffles, augmentations and initialisation')
    .option('--device <name>', 'cpu or cuda')
    .option('--runs <dir>', 'folder for run directories')
    .option('--name <name>', 'run directory name')
    .option('--max-minutes <m>', 'stop after the epoch that would otherwise overrun this budget, then tune the threshold')
    .option('--resume <run>', 'continue a run exactly where it stopped')
    .action(async (o: Record<string, string | undefined>) => {
      if (o.resume) {
        const r = await train({ resume: o.resume });
        console.log(`run ${r.run}: ${r.stopped}, best val mAP ${r.best.toFixed(4)} (epoch ${r.bestEpoch})`);
        if (r.stopped === 'interrupted') process.exitCode = 130;
        return;
      }
      const file = o.config ? readConfigFile(o.config) : {};
      const flags: Partial<TrainConfig> = {};
      if (o.data) flags.data = o.data;
      if (o.model) flags.model = o.model;
      if (o.modelOptions) flags.modelOptions = JSON.parse(o.modelOptions) as Record<string, unknown>;
      if (o.batchSize) flags.batchSize = Number(o.batchSize);
      if (o.val) flags.valFraction = Number(o.val);
      if (o.folds) { flags.folds = Number(o.folds); flags.fold = Number(o.fold ?? 0); }
      if (o.seed) flags.seed = Number(o.seed);
      if (o.device) flags.device = o.device;
      if (o.runs) flags.runsDir = o.runs;
      if (o.name) flags.name = o.name;
      if (o.maxMinutes) flags.maxMinutes = Number(o.maxMinutes);
      const base = resolveConfig([file]);
      if (o.lr) flags.optimizer = { ...base.optimizer, lr: Number(o.lr) };
      if (o.epochs || o.losses) {
        const epochs = (o.epochs ?? base.phases.map((p) => p.epochs).join(',')).split(',').map(Number);
        const losses = o.losses ? o.losses.split(',') : base.phases.map((p) => p.loss);
        if (epochs.length !== losses.length) throw new Error(`--epochs lists ${epochs.length} phases but --losses ${losses.length}`);
        flags.phases = losses.map((loss, i) => ({ ...(base.phases[i] ?? {}), loss, epochs: epochs[i]! }));
      }
      const config = resolveConfig([file, flags], o.config ?? 'flags');
      const r = await train(config);
      console.log(`run ${r.run}: ${r.stopped}, best val mAP ${r.best.toFixed(4)} (epoch ${r.bestEpoch}), threshold ${r.threshold.toFixed(3)} -> ${r.thresholdScore.toFixed(4)}`);
      // Like other tools stopped by Ctrl-C, exit 130 so scripts do not mistake it for success.
      if (r.stopped === 'interrupted') process.exitCode = 130;
    });
}
