// `halite train`: train a model from a preset, a JSON config and/or flags into a run directory.
import type { Command } from 'commander';
import { configFromFlags, configOptions, type ConfigFlags } from './config-flags.js';
import { runDirectory, wholeNumber } from './parse.js';

export function register(program: Command): void {
  configOptions(program
    .command('train')
    .description('train a segmentation model; writes config.json, history.jsonl, best.safetensors, last.ckpt.safetensors and threshold.json to a run directory'))
    .option('--folds <k>', 'stratified k-fold instead of a hold-out split', wholeNumber(2))
    .option('--fold <i>', 'which fold validates (with --folds)', wholeNumber(0))
    .option('--resume <run>', 'continue a run exactly where it stopped', runDirectory())
    .action(async (o: ConfigFlags) => {
      const { train } = await import('../train/trainer.js');
      const r = await train(o.resume ? { resume: o.resume } : await configFromFlags(o));
      const best = r.bestEpoch < 1 ? 'no epoch finished yet' : `best val mAP ${r.best.toFixed(4)} (epoch ${r.bestEpoch})`;
      console.log(`run ${r.run}: ${r.stopped}, ${best}` +
        (r.stopped === 'finished' || r.stopped === 'time' ? `, tuned post-processing -> ${r.thresholdScore.toFixed(4)}` : ''));
      // Like other tools stopped by a signal, exit 128 + its number (130 Ctrl-C, 143 SIGTERM) so scripts do not mistake it for success.
      if (r.stopped === 'interrupted') process.exitCode = r.signal === 'SIGTERM' ? 143 : 130;
    });
}
