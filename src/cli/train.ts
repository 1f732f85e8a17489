// `halite train`: train a model from a preset, a JSON config and/or flags into a run directory; with
// --nproc (and --nnodes ...) it launches data-parallel workers as torchrun does, and with torchrun's
// variables set (by that launcher, torchrun, Slurm or Kubernetes) it runs as one rank of the job.
import type { Command } from 'commander';
import { configFromFlags, configOptions, givenConfigFlags, type ConfigFlags } from './config-flags.js';
import { asRank, joinJob, launchIfAsked, launchOptions, launchPlan, type LaunchFlags } from './launch-flags.js';
import { runDirectory, wholeNumber } from './parse.js';
import { haliteProgram } from '../run/layout.js';

export function register(program: Command): void {
  launchOptions(configOptions(program
    .command('train')
    .description('train a segmentation model; writes config.json, history.jsonl, best.safetensors, last.ckpt.safetensors and threshold.json to a run directory'))
    .option('--folds <k>', 'stratified k-fold instead of a hold-out split', wholeNumber(2))
    .option('--fold <i>', 'which fold validates (with --folds)', wholeNumber(0))
    // Checked in the action: ranks on other machines than rank 0's have no run directory (rank 0 sends it).
    .option('--resume <run>', 'continue a run exactly where it stopped, as its config.json says (so no config flag beside it)')
    .option('--sync-batchnorm', 'data-parallel: BatchNorm statistics over the global batch (every process\'s tiles), as torch.nn.SyncBatchNorm; default per process, as DistributedDataParallel'),
  'data-parallel: the batch size is per process')
    .action(async (o: ConfigFlags & LaunchFlags, cmd: Command) => {
      // A resume continues the run as its config.json says, so a config flag beside it would be ignored.
      const ignored = o.resume === undefined ? [] : givenConfigFlags(cmd, ['--folds', '--fold', '--sync-batchnorm']);
      if (ignored.length > 0) {
        throw new Error(`--resume continues a run exactly as its config.json says, so ${ignored.join(', ')} would be ignored: drop ${ignored.length > 1 ? 'them' : 'it'}, or start a new run with ${ignored.length > 1 ? 'them' : 'it'}${ignored.includes('--name') ? '' : ' and another --name'}`);
      }
      const plan = launchPlan(o);
      const remote = plan ? plan.nodeRank > 0 : Number(process.env.RANK ?? 0) > 0;
      if (o.resume !== undefined && !remote) {
        try {
          runDirectory()(o.resume);
        } catch (e) {
          throw new Error(`option '--resume <run>' argument '${o.resume}' is invalid. ${(e as Error).message}`);
        }
      }
      // A refused resume's rank already says how to go on (another world size, nothing left to train);
      // one that failed while training continues from its last checkpoint.
      const retry = o.resume !== undefined ? 'where it names a cause do what it says, else run the same resume again, which continues from the last checkpoint'
        : `if rank 0 wrote a checkpoint, continue with ${haliteProgram()} train --resume RUN and the same --nproc; else run the same command again`;
      if (await launchIfAsked(o, retry)) return;
      // A rank of a data-parallel job when torchrun's variables say so (and the job has more than one).
      const group = await joinJob(o);
      const { train } = await import('../train/trainer.js');
      const r = await asRank(group, o, async () => train(o.resume ? { resume: o.resume } : await configFromFlags(o), group ? { group } : {}));
      group?.destroy();
      if (!group || group.rank === 0) {
        const best = r.bestEpoch < 1 ? 'no epoch finished yet' : `best val mAP ${r.best.toFixed(4)} (epoch ${r.bestEpoch})`;
        console.log(`run ${r.run}: ${r.stopped}, ${best}` +
          (r.stopped === 'finished' || r.stopped === 'time' ? `, tuned post-processing -> ${r.thresholdScore.toFixed(4)}` : '') +
          (group ? ` (${group.worldSize} processes)` : ''));
      }
      // Like other tools stopped by a signal, exit 128 + its number (130 Ctrl-C, 143 SIGTERM) so scripts do not mistake it for success.
      if (r.stopped === 'interrupted') process.exitCode = r.signal === 'SIGTERM' ? 143 : 130;
    });
}
