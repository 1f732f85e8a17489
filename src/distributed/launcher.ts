// torchrun's job for halite: start this machine's share of a data-parallel job as worker processes
// that run the same command line with torchrun's variables set, show their output, and stop them
// all when one fails (naming it) or when the launcher is signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';

/** Marks a worker started by launchWorkers, so that it runs rather than launches again. */
export const LAUNCHED_VAR = 'HALITE_LAUNCHED';

export interface LaunchPlan {
  /** Worker processes on this machine (torchrun's --nproc-per-node). */
  nproc: number;
  /** Machines in the job (--nnodes) and this one's index (--node-rank). */
  nnodes: number;
  nodeRank: number;
  /** Rank 0's host and the TCPStore port on it; a free loopback port is chosen when absent on one machine. */
  masterAddr: string;
  masterPort?: number;
  /** libtorch threads per worker; default the machine's cores / nproc (at least 1). */
  threads?: number;
}

/** A free TCP port on 127.0.0.1 (the kernel's pick; free when asked, as torchrun's own choice). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** torchrun's variables for local worker `local` of a plan (global rank = node rank × nproc + local). */
export function workerEnv(p: LaunchPlan, local: number, port: number): Record<string, string> {
  return {
    RANK: String(p.nodeRank * p.nproc + local), WORLD_SIZE: String(p.nnodes * p.nproc), LOCAL_RANK: String(local),
    LOCAL_WORLD_SIZE: String(p.nproc), GROUP_RANK: String(p.nodeRank), MASTER_ADDR: p.masterAddr, MASTER_PORT: String(port),
    [LAUNCHED_VAR]: '1',
  };
}

/**
 * Runs `argv` (node's own arguments first, as process.execArgv and process.argv give them) as the
 * plan's workers and resolves to the exit code for the launcher: 0 when all succeed; when a worker
 * fails, the others get SIGTERM (SIGKILL 30 s later), `log` names the rank, and its code (or 128 +
 * its signal) is returned; on SIGINT or SIGTERM the workers get the signal (and stop together with a
 * checkpoint), and their exit code (130 or 143) is returned.
 * Local worker 0's output passes through; the others' lines are prefixed "[rank R] ". `retry` ends the
 * message about a failed job: how to go on.
 */
export async function launchWorkers(p: LaunchPlan, argv: string[], retry: string, log: (line: string) => void = (l) => console.error(l)): Promise<number> {
  const port = p.masterPort ?? await freePort();
  const threads = p.threads ?? Math.max(1, Math.floor(availableParallelism() / p.nproc));
  const children: ChildProcess[] = [];
  const codes: (number | null)[] = new Array<number | null>(p.nproc).fill(null);
  let failure: { rank: number; pid: number; code: number; how: string } | null = null;
  let signalled = false;
  let killTimer: NodeJS.Timeout | null = null;
  const stopAll = (sig: NodeJS.Signals) => {
    for (const [i, c] of children.entries()) if (codes[i] === null) c.kill(sig);
    killTimer ??= setTimeout(() => { for (const [i, c] of children.entries()) if (codes[i] === null) c.kill('SIGKILL'); }, 30000);
  };
  const onSignal = (sig: NodeJS.Signals) => { signalled = true; stopAll(sig); };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, () => onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const exits = Array.from({ length: p.nproc }, (_, local) => {
      const env = { ...process.env, ...workerEnv(p, local, port), HALITE_THREADS: process.env.HALITE_THREADS ?? String(threads) };
      const rank = p.nodeRank * p.nproc + local;
      const c = spawn(argv[0]!, argv.slice(1), { env, stdio: local === 0 ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
      children.push(c);
      if (local !== 0) {
        for (const [stream, out] of [[c.stdout!, process.stdout], [c.stderr!, process.stderr]] as const) {
          createInterface({ input: stream }).on('line', (l) => out.write(`[rank ${rank}] ${l}\n`));
        }
      }
      return new Promise<void>((res) => c.on('exit', (code, sig) => {
        const n = code ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : sig === 'SIGINT' ? 2 : 1);
        codes[local] = n;
        // 130 and 143 are the ranks' own stop after a signal (with a checkpoint), which all ranks take together.
        const stopped = code === 130 || code === 143;
        if (n !== 0 && !stopped && failure === null && !signalled) {
          failure = { rank, pid: c.pid ?? -1, code: n, how: sig ? `was killed by ${sig}` : `exited with code ${code}` };
          log(`halite: rank ${rank} (pid ${failure.pid}) ${failure.how}; stopping the other ranks`);
          stopAll('SIGTERM');
        }
        res();
      }));
    });
    await Promise.all(exits);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    if (killTimer) clearTimeout(killTimer);
  }
  const f = failure as { rank: number; code: number; how: string } | null;
  if (f) {
    log(`halite: the job failed: rank ${f.rank} ${f.how} (its output above says why); ${retry}`);
    return f.code;
  }
  return codes.find((c) => c !== 0) ?? 0;
}
