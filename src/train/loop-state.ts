// The checkpoint's JSON: the loop's position and every callback's state, keyed by callback name.
import type { Module } from '../nn/module.js';
import type { OptimizerLike } from '../optim/optimizer.js';
import { saveCheckpoint } from '../run/checkpoint.js';
import type { Tensor } from '../torch/index.js';
import { TrainingError, type Callback, type LoopState } from './callbacks/callback.js';

export const START: LoopState = { phase: 0, epochInPhase: 0, epoch: 0, batch: 0, lossSum: 0, lossCount: 0, seconds: 0, epochSeconds: 0 };

interface Saved { loop: LoopState; callbacks: Record<string, unknown>; worldSize?: number }

/**
 * Writes the run's checkpoint: weights, optimizer, generator, the loop's position, the callbacks' state
 * and the number of data-parallel processes that trained it (each rank's shard and the position in the
 * epoch depend on it).
 */
export function checkpoint(run: string, model: Module, opt: OptimizerLike, loop: LoopState, callbacks: readonly Callback[], worldSize = 1): void {
  const states: Record<string, unknown> = {};
  const tensors = new Map<string, Tensor>();
  for (const cb of callbacks) {
    if (cb.stateDict) states[cb.name] = cb.stateDict();
    for (const [k, t] of cb.tensorState?.() ?? []) tensors.set(`${cb.name}.${k}`, t);
  }
  saveCheckpoint(run, model, opt, { loop, callbacks: states, lr: opt.lr, worldSize } satisfies Saved & { lr: number }, tensors);
}

/** The world size a checkpoint's JSON records (1 for checkpoints from before data-parallel training). */
export function savedWorldSize(saved: unknown): number {
  const w = (saved as Saved | null)?.worldSize;
  return typeof w === 'number' ? w : 1;
}

/**
 * Throws TrainingError when a run checkpointed by `saved` processes is resumed by `now`: each rank's
 * shard of an epoch and the batch a checkpoint stands at hold only for the world size that wrote it.
 */
export function checkWorldSize(run: string, saved: number, now: number): void {
  if (saved === now) return;
  const how = (w: number) => (w === 1 ? 'one process (no --nproc)' : `${w} processes (e.g. --nproc ${w}, or WORLD_SIZE=${w} across machines)`);
  throw new TrainingError(`${run} was checkpointed with world size ${saved} and this resume has world size ${now}: ` +
    `resume it with ${how(saved)}, since each rank's share of an epoch and the checkpoint's batch position hold only for the world size that wrote them`);
}

/** The flat state of checkpoints written before callbacks (halite 0.x), with the callbacks' parts in it. */
interface FlatState extends LoopState {
  best: number | null;
  bestEpoch: number;
  badEpochs: number;
  plateau: unknown;
}

/** Restores each callback's state from a checkpoint's JSON (either layout) and returns the loop's position. */
export function restoreLoop(saved: unknown, callbacks: readonly Callback[]): LoopState {
  let s = saved as Saved;
  if (!('loop' in (saved as object))) {
    const f = saved as FlatState;
    s = {
      loop: { phase: f.phase, epochInPhase: f.epochInPhase, epoch: f.epoch, batch: f.batch, lossSum: f.lossSum, lossCount: f.lossCount, seconds: f.seconds, epochSeconds: 0 },
      callbacks: {
        bestCheckpoint: { best: f.best, bestEpoch: f.bestEpoch },
        // A phase boundary reset both, so they belong to the phase the loop stands in (1-based).
        earlyStopping: { phase: f.phase + 1, badEpochs: f.badEpochs },
        reduceLROnPlateau: f.plateau ? { phase: f.phase + 1, state: f.plateau } : null,
      },
    };
  }
  for (const cb of callbacks) if (cb.loadStateDict && s.callbacks[cb.name] !== undefined) cb.loadStateDict(s.callbacks[cb.name]);
  // Checkpoints from before epochSeconds counted an interrupted epoch's seconds in `seconds`.
  return { ...s.loop, epochSeconds: s.loop.epochSeconds ?? 0 };
}
