// --threads (and HALITE_THREADS) reach libtorch only when a command that uses it runs: loading the
// addon costs most of a second, which --help, presets or synth should not pay.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { wholeNumber } from './parse.js';

const torchFree = new WeakSet<Command>();

/** Marks a command that never loads libtorch, so that the thread setting does not load it. Returns `cmd`. */
export function withoutTorch(cmd: Command): Command {
  torchFree.add(cmd);
  return cmd;
}

/**
 * Sets libtorch's intra-op threads before `command` runs: --threads, else HALITE_THREADS, else one
 * per core (libtorch's own default can be 1 on small VMs: it counts physical cores), shared among
 * the LOCAL_WORLD_SIZE processes that torchrun starts on this machine.
 * Throws when HALITE_THREADS is not a whole number >= 1.
 */
export async function applyThreads(threads: number | undefined, command: Command): Promise<void> {
  if (torchFree.has(command)) return;
  let n = threads;
  if (n === undefined && process.env.HALITE_THREADS !== undefined) {
    try {
      n = wholeNumber(1)(process.env.HALITE_THREADS);
    } catch (e) {
      throw new Error(`HALITE_THREADS='${process.env.HALITE_THREADS}': ${(e as Error).message}`);
    }
  }
  const { setNumThreads } = await import('../torch/runtime.js');
  setNumThreads(n ?? Math.max(1, Math.floor(availableParallelism() / localWorldSize())));
}

/** torchrun's LOCAL_WORLD_SIZE (the ranks on this machine), or 1 when unset or not a whole number >= 1. */
function localWorldSize(): number {
  const v = Number(process.env.LOCAL_WORLD_SIZE);
  return Number.isInteger(v) && v >= 1 ? v : 1;
}
