// torchrun's environment contract, so launchers written for PyTorch (torchrun itself, Slurm scripts,
// Kubernetes jobs) start halite ranks unchanged.
import { DEFAULT_TIMEOUT_MS, ProcessGroup, type GlooDevice } from './process-group.js';
import type { NativeBackend } from '../torch/native-api.js';

/** What a rank learns from its environment (torchrun's variables; PyTorch's env:// init method). */
export interface LaunchEnv {
  /** RANK: this process's rank in [0, worldSize). */
  rank: number;
  /** WORLD_SIZE: the number of processes in the job. */
  worldSize: number;
  /** MASTER_ADDR: the host of rank 0, where the TCPStore listens. */
  masterAddr: string;
  /** MASTER_PORT: the TCPStore's port on that host. */
  masterPort: number;
  /** LOCAL_RANK: the rank within this machine (which GPU it would use); 0 when unset. */
  localRank: number;
}

function wholeVar(env: NodeJS.ProcessEnv, name: string, min: number, max: number, why: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    throw new Error(`${name} is not set: a distributed run reads torchrun's variables RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (${why})`);
  }
  const v = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new Error(`${name}='${raw}' is not a whole number in [${min}, ${max}] (${why})`);
  }
  return v;
}

/**
 * Reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT and LOCAL_RANK as torchrun sets them.
 * @throws Error naming the variable that is missing or out of range, and what it means.
 */
export function readLaunchEnv(env: NodeJS.ProcessEnv = process.env): LaunchEnv {
  const worldSize = wholeVar(env, 'WORLD_SIZE', 1, 1 << 20, 'the number of processes in the job');
  const rank = wholeVar(env, 'RANK', 0, worldSize - 1, `this process's rank, below WORLD_SIZE=${worldSize}`);
  const masterAddr = env.MASTER_ADDR?.trim() ?? '';
  if (masterAddr === '') {
    throw new Error("MASTER_ADDR is not set: it names rank 0's host, where the rendezvous listens (e.g. MASTER_ADDR=127.0.0.1 on one machine)");
  }
  const masterPort = wholeVar(env, 'MASTER_PORT', 1, 65535, "the rendezvous port on MASTER_ADDR; every rank must reach it");
  const localRank = env.LOCAL_RANK === undefined ? 0 : wholeVar(env, 'LOCAL_RANK', 0, worldSize - 1, 'the rank within this machine');
  return { rank, worldSize, masterAddr, masterPort, localRank };
}

export interface InitOptions {
  backend?: NativeBackend;
  /** Bound on every collective, in ms (default 10 minutes). */
  timeoutMs?: number;
  /** Bound on the wait for the other ranks to join, in ms (default timeoutMs). */
  rendezvousTimeoutMs?: number;
  device?: GlooDevice;
  env?: NodeJS.ProcessEnv;
}

/**
 * Joins the job described by torchrun's variables (see readLaunchEnv): a TCPStore rendezvous at
 * MASTER_ADDR:MASTER_PORT hosted by rank 0, then a Gloo group (torch.distributed's
 * init_process_group('gloo', init_method='env://')).
 * @throws Error naming a missing or bad variable before any I/O; the errors of ProcessGroup.create.
 */
export async function initProcessGroup(o: InitOptions = {}): Promise<ProcessGroup> {
  const env = o.env ?? process.env;
  const l = readLaunchEnv(env);
  return ProcessGroup.create({
    rank: l.rank,
    worldSize: l.worldSize,
    rendezvous: { kind: 'tcp', host: l.masterAddr, port: l.masterPort },
    backend: o.backend,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    rendezvousTimeoutMs: o.rendezvousTimeoutMs,
    device: o.device,
  }, env);
}
