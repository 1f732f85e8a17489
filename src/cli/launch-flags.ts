// The launch flags of the commands that spread work over a c10d process group (train, cv, predict),
// defined once: --nproc starts local workers as torchrun does, --nnodes/--node-rank/--master-* join a
// multi-machine job, and torchrun's variables (set by that launcher, torchrun, Slurm or Kubernetes)
// make this process one rank of the job.
import type { Command } from 'commander';
import type { InitOptions } from '../distributed/launch-env.js';
import type { ProcessGroup } from '../distributed/process-group.js';
import { numberIn, wholeNumber } from './parse.js';

export interface LaunchFlags { nproc?: number; nnodes?: number; nodeRank?: number; masterAddr?: string; masterPort?: number; distTimeout?: number }

/** c10d's default process-group timeout, in seconds (the default of --dist-timeout). */
const DIST_TIMEOUT_S = 600;

/** The host of --master-addr: a name or address without spaces or a port. */
function host(v: string): string {
  const h = v.trim();
  if (h === '' || /[\s/]/.test(h)) throw new Error(`--master-addr '${v}': expected a host name or IP address (rank 0's machine), e.g. 10.0.0.1`);
  return h;
}

/** Adds --nproc, --nnodes, --node-rank, --master-addr, --master-port and --dist-timeout to `cmd`; `what` says what a rank does (e.g. 'the batch size is per process'). Returns `cmd`. */
export function launchOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--nproc <n>', `worker processes on this machine (as torchrun --nproc-per-node); ${what}`, wholeNumber(1, 1024))
    .option('--nnodes <m>', 'machines in the job (each runs the same command with its own --node-rank)', wholeNumber(1, 4096))
    .option('--node-rank <r>', "this machine's index in the job, from 0 (0 hosts the rendezvous and writes the results)", wholeNumber(0))
    .option('--master-addr <host>', 'address of the --node-rank 0 machine (required with --nnodes > 1; default 127.0.0.1 on one machine)', host)
    .option('--master-port <p>', 'TCP port of the rendezvous on --master-addr (default: a free one, on one machine)', wholeNumber(1, 65535))
    .option('--dist-timeout <seconds>', `how long a rank waits for the others, at the start and in each collective, before it fails naming the lost rank (default ${DIST_TIMEOUT_S}, as torch.distributed)`, numberIn(0.001, 7 * 24 * 3600));
}

/** The --dist-timeout that applies, in s. */
const timeoutOf = (o: LaunchFlags): number => o.distTimeout ?? DIST_TIMEOUT_S;

/** `e`'s message, saying which flag sets the limit when a wait ran into it. */
function withHint(e: unknown, o: LaunchFlags): string {
  const m = (e as Error).message;
  return /timed? ?out|timeout|within \d+ ms/i.test(m) ? `${m}; --dist-timeout ${timeoutOf(o)} s bounds each wait (raise it if a rank is only slow)` : m;
}

/**
 * What the launcher flags ask for: null to run in this process (no flags, or a worker the
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

/**
 * Starts this machine's workers when the flags ask for them, each running this same command line,
 * and sets process.exitCode to the job's (launchWorkers'); `retry` ends the launcher's message when a
 * rank fails (how to go on). Returns false when this process is to do the work itself.
 */
export async function launchIfAsked(o: LaunchFlags, retry: string): Promise<boolean> {
  const plan = launchPlan(o);
  if (!plan) return false;
  const { launchWorkers } = await import('../distributed/launcher.js');
  process.exitCode = await launchWorkers(plan, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], retry);
  return true;
}

/**
 * This process's group when torchrun's variables place it in a job of more than one process; else
 * undefined. Waits are bounded by --dist-timeout unless `o` (initProcessGroup's) says otherwise
 * (e.g. a longer bound on collectives for ranks that wait for others' folds).
 * @throws the rendezvous' errors, naming --dist-timeout when it ran out.
 */
export async function joinJob(flags: LaunchFlags, o: InitOptions = {}): Promise<ProcessGroup | undefined> {
  if (process.env.WORLD_SIZE === undefined) return undefined;
  const { readLaunchEnv, initProcessGroup } = await import('../distributed/index.js');
  if (readLaunchEnv().worldSize <= 1) return undefined;
  const timeoutMs = Math.max(1, Math.round(timeoutOf(flags) * 1000));
  try {
    return await initProcessGroup({ timeoutMs, rendezvousTimeoutMs: timeoutMs, ...o });
  } catch (e) {
    throw new Error(withHint(e, flags), { cause: e });
  }
}

/**
 * Runs a rank's work; an error ends the process with code 1 after naming the rank, since a failed
 * collective can leave Gloo's threads behind (and the launcher then stops the other ranks).
 */
export async function asRank<T>(group: ProcessGroup | undefined, flags: LaunchFlags, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!group) throw e;
    console.error(`halite: rank ${group.rank}: ${withHint(e, flags)}`);
    process.exit(1);
  }
}
