// `halite train`: train a model from a preset, a JSON config and/or flags into a run directory; with
// --nproc (and --nnodes ...) it launches data-parallel workers as torchrun does, and with torchrun's
// variables set (by that launcher, torchrun, Slurm or Kubernetes) it runs as one rank of the job.
import type { Command } from 'commander';
import { configFromFlags, configOptions, type ConfigFlags } from './config-flags.js';
import { numberIn, runDirectory, wholeNumber } from './parse.js';

interface LaunchFlags { nproc?: number; nnodes?: number; nodeRank?: number; masterAddr?: string; masterPort?: number; distTimeout?: number }

/** c10d's default process-group timeout, in seconds (the default of --dist-timeout). */
const DIST_TIMEOUT_S = 600;

/** The host of --master-addr: a name or address without spaces or a port. */
function host(v: string): string {
  const h = v.trim();
  if (h === '' || /[\s/]/.test(h)) throw new Error(`--master-addr '${v}': expected a host name or IP address (rank 0's machine), e.g. 10.0.0.1`);
  return h;
}

/**
 * What the launcher flags ask for: null to train in this process (no flags, or a worker the
 * launcher started). Throws naming the flag for combinations that cannot work.
 */
export function launchPlan(o: LaunchFlags, env: NodeJS.ProcessEnv = process.env) {
  const any = o.nproc !== undefined || o.nnodes !== undefined || o.nodeRank !== undefined || o.masterAddr !== undefined || o.masterPort !== undefined;
  if (!any || env.HALITE_LAUNCHED === '1') return null;
  if (env.RANK !== undefined || env.WORLD_SIZE !== undefined) {
    throw new Error(`--nproc, --nnodes, --node-rank and --master-* start worker processes, but RANK/WORLD_SIZE are set (a launcher such as torchrun or Slurm started this one): drop those flags, the variables already place this process in the job`);
  }
  const nnodes = o.nnodes ?? 1;
  if (o.nodeRank !== undefined && o.nnodes === undefined) throw new Error('--node-rank needs --nnodes (the number of machines in the job)');
  const nodeRank = o.nodeRank ?? 0;
  if (nodeRank >= nnodes) throw new Error(`--node-rank ${nodeRank} must be below --nnodes ${nnodes} (machines are numbered from 0)`);
  if (nnodes > 1 && o.masterAddr === undefined) throw new Error(`--nnodes ${nnodes} needs --master-addr HOST: the address of the machine started with --node-rank 0, which every machine must reach`);
  if (nnodes > 1 && o.masterPort === undefined) throw new Error(`--nnodes ${nnodes} needs --master-port P: the same free TCP port on every machine (rank 0 listens on it)`);
  return { nproc: o.nproc ?? 1, nnodes, nodeRank, masterAddr: o.masterAddr ?? '127.0.0.1', ...(o.masterPort !== undefined ? { masterPort: o.masterPort } : {}) };
}

export function register(program: Command): void {
  configOptions(program
    .command('train')
    .description('train a segmentation model; writes config.json, history.jsonl, best.safetensors, last.ckpt.safetensors and threshold.json to a run directory'))
    .option('--folds <k>', 'stratified k-fold instead of a hold-out split', wholeNumber(2))
    .option('--fold <i>', 'which fold validates (with --folds)', wholeNumber(0))
    // Checked in the action: ranks on other machines than rank 0's have no run directory (rank 0 sends it).
    .option('--resume <run>', 'continue a run exactly where it stopped')
    .option('--nproc <n>', 'data-parallel worker processes on this machine (as torchrun --nproc-per-node); the batch size is per process', wholeNumber(1, 1024))
    .option('--nnodes <m>', 'machines in a data-parallel job (each runs the same command with its own --node-rank)', wholeNumber(1, 4096))
    .option('--node-rank <r>', "this machine's index in the job, from 0 (0 hosts the rendezvous and writes the run)", wholeNumber(0))
    .option('--master-addr <host>', 'address of the --node-rank 0 machine (default 127.0.0.1)', host)
    .option('--master-port <p>', 'TCP port of the rendezvous on --master-addr (default: a free one, on one machine)', wholeNumber(1, 65535))
    .option('--dist-timeout <seconds>', `how long a data-parallel rank waits for the others, at the start and in each collective, before it fails naming the lost rank (default ${DIST_TIMEOUT_S}, as torch.distributed)`, numberIn(0.001, 7 * 24 * 3600))
    .option('--sync-batchnorm', 'data-parallel: BatchNorm statistics over the global batch (every process\'s tiles), as torch.nn.SyncBatchNorm; default per process, as DistributedDataParallel')
    .action(async (o: ConfigFlags & LaunchFlags) => {
      const plan = launchPlan(o);
      const remote = plan ? plan.nodeRank > 0 : Number(process.env.RANK ?? 0) > 0;
      if (o.resume !== undefined && !remote) {
        try {
          runDirectory()(o.resume);
        } catch (e) {
          throw new Error(`option '--resume <run>' argument '${o.resume}' is invalid. ${(e as Error).message}`);
        }
      }
      if (plan) {
        const { launchWorkers } = await import('../distributed/launcher.js');
        process.exitCode = await launchWorkers(plan, [process.execPath, ...process.execArgv, ...process.argv.slice(1)]);
        return;
      }
      // A rank of a data-parallel job when torchrun's variables say so (and the job has more than one).
      const { readLaunchEnv, initProcessGroup } = await import('../distributed/index.js');
      const worker = process.env.WORLD_SIZE !== undefined ? readLaunchEnv() : null;
      const timeoutS = o.distTimeout ?? DIST_TIMEOUT_S;
      // Says which flag sets the limit that a wait ran into.
      const withHint = (e: unknown) => {
        const m = (e as Error).message;
        return /timed? ?out|timeout|within \d+ ms/i.test(m) ? `${m}; --dist-timeout ${timeoutS} s bounds each wait (raise it if a rank is only slow)` : m;
      };
      let group;
      try {
        group = worker && worker.worldSize > 1 ? await initProcessGroup({ timeoutMs: Math.max(1, Math.round(timeoutS * 1000)) }) : undefined;
      } catch (e) {
        throw new Error(withHint(e), { cause: e });
      }
      const { train } = await import('../train/trainer.js');
      let r;
      try {
        r = await train(o.resume ? { resume: o.resume } : await configFromFlags(o), group ? { group } : {});
      } catch (e) {
        if (!group) throw e;
        // A failed collective can leave Gloo's threads behind; a rank's error ends its process.
        console.error(`halite: rank ${group.rank}: ${withHint(e)}`);
        process.exit(1);
      }
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
