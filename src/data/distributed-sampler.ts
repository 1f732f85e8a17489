// Each rank's share of an epoch, as torch.utils.data.distributed.DistributedSampler deals it: one
// seeded permutation per epoch, the same on every rank, padded or cut to a multiple of the world size,
// and rank r takes positions r, r + W, r + 2W, ...
import { rng, shuffled } from './random.js';

export interface DistributedSamplerOptions {
  /** The world size W (DistributedSampler's num_replicas). */
  numReplicas: number;
  /** This rank, in [0, numReplicas). */
  rank: number;
  /** Permute per epoch (default true); false deals the items in their given order. */
  shuffle?: boolean;
  /** The same on every rank (default 0). */
  seed?: number;
  /**
   * Cut the tail so every rank gets floor(n / W) items (default false: pad by repeating the
   * permutation from its start, so every rank gets ceil(n / W) and some items are seen twice).
   */
  dropLast?: boolean;
}

function whole(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`DistributedSampler: ${name} must be a whole number in [${min}, ${max}], got ${v}`);
  return v;
}

/**
 * How many items each of W ranks takes from n: DistributedSampler's num_samples
 * (ceil((n - W) / W) with dropLast when W does not divide n, else ceil(n / W)).
 */
export function samplesPerRank(n: number, numReplicas: number, dropLast: boolean): number {
  return dropLast && n % numReplicas !== 0 ? Math.ceil((n - numReplicas) / numReplicas) : Math.ceil(n / numReplicas);
}

/**
 * Rank `rank`'s share of one epoch's `order`, by DistributedSampler.__iter__'s rule: pad `order` to
 * W * samplesPerRank by repeating it from the start (or cut it to that length with dropLast), then
 * take every W-th item from position `rank`.
 * @throws RangeError for an empty order, or a rank or world size out of range.
 */
export function shardOrder<T>(order: readonly T[], rank: number, numReplicas: number, dropLast = false): T[] {
  whole('numReplicas', numReplicas, 1, Number.MAX_SAFE_INTEGER);
  whole('rank', rank, 0, numReplicas - 1);
  if (order.length === 0) throw new RangeError('DistributedSampler: there are no items to share out');
  const total = samplesPerRank(order.length, numReplicas, dropLast) * numReplicas;
  const out: T[] = [];
  for (let i = rank; i < total; i += numReplicas) out.push(order[i % order.length]!);
  return out;
}

/**
 * The items of a dataset (training tile indices, say) shared out over ranks per epoch. The epoch's
 * permutation is halite's data generator (mulberry32, the loader's: seed * 1000003 + epoch), not
 * torch.randperm, so the order differs from PyTorch's for the same seed; the padding, the striding
 * and the shard sizes are DistributedSampler's. With one rank and no padding the order is
 * BatchLoader.order(epoch)'s for the same seed and items.
 */
export class DistributedSampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Items per rank and epoch (every rank the same). */
  readonly numSamples: number;

  constructor(readonly items: readonly number[], o: DistributedSamplerOptions) {
    this.numReplicas = whole('numReplicas', o.numReplicas, 1, Number.MAX_SAFE_INTEGER);
    this.rank = whole('rank', o.rank, 0, this.numReplicas - 1);
    this.shuffle = o.shuffle ?? true;
    this.seed = o.seed ?? 0;
    this.dropLast = o.dropLast ?? false;
    if (items.length === 0) throw new RangeError('DistributedSampler: there are no items to share out');
    if (this.dropLast && items.length < this.numReplicas) {
      throw new RangeError(`DistributedSampler: ${items.length} items cannot give each of ${this.numReplicas} ranks one with dropLast; use fewer ranks or dropLast false`);
    }
    this.numSamples = samplesPerRank(items.length, this.numReplicas, this.dropLast);
  }

  /** The whole epoch's order, the same on every rank. */
  permutation(epoch: number): number[] {
    return this.shuffle ? shuffled(this.items, rng(((this.seed * 1000003 + epoch) >>> 0))) : this.items.slice();
  }

  /** This rank's items for the epoch (numSamples of them). */
  indices(epoch: number): number[] {
    return shardOrder(this.permutation(epoch), this.rank, this.numReplicas, this.dropLast);
  }
}
