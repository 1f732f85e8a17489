// DistributedDataParallel's semantics for halite's training loop, over a c10d process group: rank 0's
// initial state broadcast, every rank's loss and stop requests agreed once per step (so all ranks
// skip the same non-finite steps and stop at the same batch), gradients averaged before the
// optimizer step, validation sharded and its metric reduced exactly, and a lost peer named.
import { hostname } from 'node:os';
import { allreduceNumbers, averageGradients, broadcastState, shardRange, type ProcessGroup } from '../distributed/index.js';
import { predictTiles } from '../infer/predict.js';
import type { Loss } from '../losses/losses.js';
import { isMultiHead } from '../models/heads.js';
import type { Module } from '../nn/module.js';
import { fromArray, type Tensor } from '../torch/index.js';
import { haliteProgram } from '../run/layout.js';
import { TrainingError } from './callbacks/callback.js';
import { validationSums } from './validate.js';

export type Signal = 'SIGINT' | 'SIGTERM';

/** Bytes of a host name kept in the peer table (longer names are cut; they only label messages). */
const HOST_BYTES = 64;

/**
 * Sends bytes from `root` to every rank (the others pass null): a float64 header (0 for bytes, 1 for
 * an error message) then a uint8 tensor. Resolves to the bytes on every rank.
 * @throws TrainingError on every rank, with root's message, when root sends `{ error }`.
 */
export async function broadcastBytes(group: ProcessGroup, payload: Uint8Array | { error: string } | null, root = 0): Promise<Uint8Array> {
  const mine = group.rank === root;
  const bytes = !mine ? null : payload instanceof Uint8Array ? payload : new TextEncoder().encode((payload as { error: string }).error);
  const head = fromArray(Float64Array.from(mine ? [payload instanceof Uint8Array ? 0 : 1, bytes!.length] : [0, 0]), [2]);
  let kind: number, n: number;
  try {
    await group.broadcast([head], root);
    [kind, n] = Array.from(head.toArray() as Float64Array) as [number, number];
  } finally {
    head.dispose();
  }
  let out = new Uint8Array(n);
  if (n > 0) {
    const t = fromArray(mine ? bytes! : out, [n]);
    try {
      await group.broadcast([t], root);
      out = (t.toArray() as Uint8Array).slice();
    } finally {
      t.dispose();
    }
  }
  if (kind === 1) throw new TrainingError(new TextDecoder().decode(out));
  return out;
}

/** What the ranks agreed on after one step. */
export interface StepAgreement {
  /** The mean loss over every rank's tiles of the step (non-finite when any rank's was). */
  loss: number;
  /** Tiles in the step over all ranks (the global batch). */
  size: number;
  /** A stop signal that reached any rank, or null. */
  signal: Signal | null;
}

/** One rank's side of data-parallel training (see the file's comment). */
export class DataParallel {
  private constructor(readonly group: ProcessGroup, private readonly peers: { pid: number; host: string }[]) {}

  get rank(): number { return this.group.rank; }
  get worldSize(): number { return this.group.worldSize; }

  /**
   * Learns every rank's pid and host (one allreduce each), so a lost peer can be named later.
   * @throws the group's errors.
   */
  static async join(group: ProcessGroup): Promise<DataParallel> {
    const w = group.worldSize, r = group.rank;
    const pids = new Array<number>(w).fill(0);
    pids[r] = process.pid;
    const hostBytes = new Uint8Array(w * HOST_BYTES);
    hostBytes.set(new TextEncoder().encode(hostname()).subarray(0, HOST_BYTES), r * HOST_BYTES);
    const h = fromArray(hostBytes, [hostBytes.length]);
    let allPids: number[];
    try {
      allPids = await allreduceNumbers(group, pids);
      await group.allreduce([h], 'sum'); // zeros elsewhere: the sum is each rank's own row
      hostBytes.set(h.toArray() as Uint8Array);
    } finally {
      h.dispose();
    }
    const dec = new TextDecoder();
    const peers = allPids.map((pid, k) => ({ pid, host: dec.decode(hostBytes.subarray(k * HOST_BYTES, (k + 1) * HOST_BYTES)).replace(/\0+$/, '') }));
    return new DataParallel(group, peers);
  }

  /**
   * The ranks that are gone: on this host, those whose process no longer exists; with two ranks,
   * the other one (it is the only peer there is). Empty when neither tells.
   */
  lostRanks(): number[] {
    const here = hostname().slice(0, HOST_BYTES);
    const dead = this.peers.flatMap((p, r) => {
      if (r === this.rank || p.host !== here) return [];
      try { process.kill(p.pid, 0); return []; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ESRCH' ? [r] : []; }
    });
    if (dead.length === 0 && this.worldSize === 2) return [1 - this.rank];
    return dead;
  }

  /** Runs a collective; a failure becomes a TrainingError naming the lost rank(s) and what was being done. */
  private async guard<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.lost(what, e);
    }
  }

  /** The TrainingError for a failed collective during `what`, naming the lost rank(s) when known. */
  private lost(what: string, e: unknown): Error {
    if (e instanceof TrainingError) return e;
    const lost = this.lostRanks();
    const who = lost.length === 0 ? 'a peer was lost or timed out'
      : lost.map((r) => `lost rank ${r} (pid ${this.peers[r]!.pid} on ${this.peers[r]!.host})`).join(', ');
    return new TrainingError(`data-parallel training stopped at ${what} on rank ${this.rank} of ${this.worldSize}: ${who}; ` +
      `${(e as Error).message}. Resume from the last checkpoint with ${haliteProgram()} train --resume RUN and the same number of processes`, );
  }

  /**
   * Runs a synchronous forward and backward whose SyncBatchNorm layers hold collectives: their failure
   * (a lost peer, the timeout) becomes the TrainingError of guard(); other errors pass as they are.
   */
  step<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof Error && e.message.includes('allreduce with autograd (')) throw this.lost(what, e);
      throw e;
    }
  }

  /** Overwrites the model's parameters and buffers with rank 0's (DDP's constructor). */
  broadcastModel(model: Module): Promise<void> {
    return this.guard('the initial broadcast of rank 0\'s weights', () => broadcastState(this.group, model.stateDict().values(), 0));
  }

  /** Agrees on a step: every rank's loss × tiles and tile count are summed, and any pending signal shared. */
  async agreeStep(loss: number, size: number, signal: Signal | null, where: string): Promise<StepAgreement> {
    const [sum, n, int, term] = await this.guard(where, () => allreduceNumbers(this.group, [loss * size, size, signal === 'SIGINT' ? 1 : 0, signal === 'SIGTERM' ? 1 : 0]));
    return { loss: sum! / n!, size: n!, signal: int! > 0 ? 'SIGINT' : term! > 0 ? 'SIGTERM' : null };
  }

  /** Replaces each gradient by its mean over the ranks (bucketed allreduce, DDP's 25 MiB buckets). */
  averageGradients(params: readonly Tensor[], where: string): Promise<void> {
    return this.guard(where, () => averageGradients(this.group, params));
  }

  /**
   * Flip-TTA predictions (infer/predict.ts's predictTiles) of the validation tiles, each rank
   * predicting its block, gathered whole on every rank by an allreduce of zero-filled arrays (x + 0 is
   * x, so the result is exactly one process's). For tuning the post-processing of the best weights.
   */
  async predictValidation(model: Module, val: { images: Float32Array; masks: Uint8Array }, device: string): Promise<{ probs: Float32Array; salt: Float32Array | null }> {
    const pixels = 101 * 101, n = val.masks.length / pixels;
    const [lo, hi] = shardRange(n, this.rank, this.worldSize);
    const withSalt = isMultiHead(model) && model.gateMode === 'threshold'; // as predictTiles decides
    const mine = hi > lo ? predictTiles(model, val.images.subarray(lo * pixels, hi * pixels), { tta: true, device }) : null;
    const probs = new Float32Array(n * pixels), salt = withSalt ? new Float32Array(n) : null;
    if (mine) {
      probs.set(mine.probs, lo * pixels);
      if (salt && mine.salt) salt.set(mine.salt, lo);
    }
    const ts = [fromArray(probs), ...(salt ? [fromArray(salt)] : [])];
    try {
      await this.guard('the validation predictions for tuning', () => this.group.allreduce(ts, 'sum'));
      return { probs: ts[0]!.toArray() as Float32Array, salt: ts[1] ? ts[1].toArray() as Float32Array : null };
    } finally {
      for (const t of ts) t.dispose();
    }
  }

  /**
   * Validation over every rank's block of the tiles, reduced exactly: the loss is the sum over all
   * tiles of batch loss × batch size over the tile count, the mAP the sum of per-tile competition scores
   * over the tile count, as one process over all tiles computes them. Also agrees on the epoch's seconds
   * (the slowest rank's) and on a pending signal.
   */
  async validate(model: Module, lossFn: Loss, val: { images: Float32Array; masks: Uint8Array }, batchSize: number,
    t0: number, signal: Signal | null, where: string): Promise<{ loss: number; map: number; seconds: number; signal: Signal | null }> {
    // BatchNorm's running statistics are each rank's own; DDP broadcasts rank 0's buffers before every
    // forward, so every rank validates with (and rank 0 checkpoints) rank 0's.
    const buffers = [...model.namedBuffers()].map(([, b]) => b);
    if (buffers.length) await this.guard(where, () => this.group.broadcast(buffers, 0));
    const pixels = 101 * 101, n = val.masks.length / pixels;
    const [lo, hi] = shardRange(n, this.rank, this.worldSize);
    const v = validationSums(model, lossFn, val.images.subarray(lo * pixels, hi * pixels), val.masks.subarray(lo * pixels, hi * pixels), batchSize);
    const [lossSum, scoreSum, count] = await this.guard(where, () => allreduceNumbers(this.group, [v.lossSum, v.scoreSum, v.count]));
    const mine = [(performance.now() - t0) / 1000, signal === 'SIGINT' ? 1 : 0, signal === 'SIGTERM' ? 1 : 0];
    const [seconds, int, term] = await this.guard(where, () => allreduceNumbers(this.group, mine, 'max'));
    return { loss: lossSum! / count!, map: scoreSum! / count!, seconds: seconds!, signal: int! > 0 ? 'SIGINT' : term! > 0 ? 'SIGTERM' : null };
  }
}
